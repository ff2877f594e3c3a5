import NIOCore
import NIOEmbedded
import NIOWebSocket
import Synchronization
import Testing

@testable import KubePortForward

/// The client side of the SPDY-in-WebSocket tunnel, on an embedded channel.
@Suite struct WebSocketTunnelHandlerTests {
    @Test func whatIsWrittenBetweenTwoFlushesGoesOutAsOneMaskedMessage() throws {
        let channel = EmbeddedChannel(handler: WebSocketTunnelHandler())
        _ = channel.writeAndFlush(ByteBuffer(bytes: [0x80, 0x03, 0x00, 0x01]))
        let succeeded = Atomic(0)
        channel.write(ByteBuffer(string: "SYN_STREAM error;")).whenSuccess { succeeded.add(1, ordering: .relaxed) }
        channel.write(ByteBuffer(string: "SYN_STREAM data")).whenSuccess { succeeded.add(1, ordering: .relaxed) }
        #expect(try channel.readOutbound(as: WebSocketFrame.self)?.data == ByteBuffer(bytes: [0x80, 0x03, 0x00, 0x01]))
        #expect(try channel.readOutbound(as: WebSocketFrame.self) == nil, "nothing goes out before the flush")
        channel.flush()

        let frame = try #require(try channel.readOutbound(as: WebSocketFrame.self))
        #expect(frame.opcode == .binary && frame.fin && frame.maskKey != nil, "a masked binary message")
        #expect(frame.data == ByteBuffer(string: "SYN_STREAM error;SYN_STREAM data"), "one message for both writes")
        #expect(try channel.readOutbound(as: WebSocketFrame.self) == nil)
        #expect(succeeded.load(ordering: .relaxed) == 2, "every write's promise completes with the message")
        _ = try channel.finish()
    }

    @Test func writesNotYetFlushedGoOutBeforeTheCloseMessage() throws {
        let channel = EmbeddedChannel(handler: WebSocketTunnelHandler())
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 6443)).wait()
        _ = channel.write(ByteBuffer(string: "GOAWAY"))
        channel.close(promise: nil)
        #expect(try channel.readOutbound(as: WebSocketFrame.self)?.data == ByteBuffer(string: "GOAWAY"))
        #expect(try channel.readOutbound(as: WebSocketFrame.self)?.opcode == .connectionClose)
    }

    /// A message and its WebSocket header leave as one buffer, so TLS seals them as one record: with the header
    /// apart, every message cost berth and the API server a second record to seal, send and open.
    @Test func aMessageLeavesTheFrameEncoderAsOneBufferWithItsHeader() throws {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandlers([WebSocketFrameEncoder(), WebSocketTunnelHandler()])
        var keys: [[UInt8]] = []
        for payload in ["SPDY DATA header|GET / HTTP/1.0", String(repeating: "x", count: 70_000)] {
            let header = ByteBuffer(string: String(payload.prefix(16)))
            let body = ByteBuffer(string: String(payload.dropFirst(16)))
            channel.write(header, promise: nil)
            channel.write(body, promise: nil)
            channel.flush()

            var wire = try #require(try channel.readOutbound(as: ByteBuffer.self))
            #expect(try channel.readOutbound(as: ByteBuffer.self) == nil, "one buffer for header and payload")
            let firstByte = wire.readInteger(as: UInt8.self)
            let secondByte = wire.readInteger(as: UInt8.self)
            let first = try #require(firstByte)
            let second = try #require(secondByte)
            #expect(first == 0x82, "FIN and binary")
            #expect(second & 0x80 == 0x80, "masked")
            let length: Int
            switch second & 0x7F {
            case 126: length = Int(wire.readInteger(as: UInt16.self) ?? 0)
            case 127: length = Int(wire.readInteger(as: UInt64.self) ?? 0)
            case let short: length = Int(short)
            }
            let maskingKey = wire.readBytes(length: 4)
            let key = try #require(maskingKey)
            keys.append(key)
            #expect(wire.readableBytes == length)
            let unmasked = (wire.readBytes(length: length) ?? []).enumerated().map { $0.element ^ key[$0.offset % 4] }
            #expect(unmasked.elementsEqual(payload.utf8), "the payload unmasks to what was written")
        }
        #expect(keys[0] != keys[1], "every message has its own masking key")
        _ = try channel.finish()
    }

    @Test func theServersBinaryPayloadsAreTheByteStreamAndItsPingsAreAnswered() throws {
        let channel = EmbeddedChannel(handler: WebSocketTunnelHandler())
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 6443)).wait()
        try channel.writeInbound(serverFrameBytes([
            WebSocketFrame(fin: true, opcode: .binary, data: ByteBuffer(string: "SYN_REPLY")),
            WebSocketFrame(fin: true, opcode: .ping, data: ByteBuffer(string: "hello?")),
            WebSocketFrame(fin: true, opcode: .binary, data: ByteBuffer(string: "DATA")),
        ]))
        #expect(try channel.readInbound(as: ByteBuffer.self) == ByteBuffer(string: "SYN_REPLY"))
        #expect(try channel.readInbound(as: ByteBuffer.self) == ByteBuffer(string: "DATA"))
        let pong = try #require(try channel.readOutbound(as: WebSocketFrame.self))
        #expect(pong.opcode == .pong && pong.maskKey != nil && pong.data == ByteBuffer(string: "hello?"), "the encoder masks it as it sends")
        #expect(channel.isActive)
        _ = try channel.finish()
    }

    @Test func theServersCloseIsAnsweredAndEndsTheTunnel() throws {
        let channel = EmbeddedChannel(handler: WebSocketTunnelHandler())
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 6443)).wait()
        try channel.writeInbound(serverFrameBytes([
            WebSocketFrame(fin: true, opcode: .connectionClose, data: ByteBuffer(bytes: [0x03, 0xE8])),
            WebSocketFrame(fin: true, opcode: .binary, data: ByteBuffer(string: "after the close")),
        ]))
        #expect(try channel.readOutbound(as: WebSocketFrame.self)?.opcode == .connectionClose)
        #expect(try channel.readInbound(as: ByteBuffer.self) == nil, "nothing after the close is read")
        #expect(!channel.isActive)
    }

    @Test func aMaskedFrameFromTheServerFailsAndClosesTheTunnel() throws {
        let channel = EmbeddedChannel(handler: WebSocketTunnelHandler())
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 6443)).wait()
        let masked = WebSocketFrame(fin: true, opcode: .binary, maskKey: WebSocketMaskingKey([1, 2, 3, 4]), data: ByteBuffer(string: "x"))
        #expect(throws: PortForwardError.self) { try channel.writeInbound(serverFrameBytes([masked])) }
        #expect(try channel.readInbound(as: ByteBuffer.self) == nil)
        #expect(!channel.isActive)
    }

    @Test(arguments: ["", "{}"])
    func aTextMessageFailsTheTunnelEvenAnEmptyOne(text: String) throws {
        let channel = EmbeddedChannel(handler: WebSocketTunnelHandler())
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 6443)).wait()
        let bytes = try serverFrameBytes([
            WebSocketFrame(fin: true, opcode: .text, data: ByteBuffer(string: text)),
            WebSocketFrame(fin: true, opcode: .binary, data: ByteBuffer(string: "after the text")),
        ])
        #expect(throws: PortForwardError.protocolNotNegotiated(got: "a text message in the SPDY tunnel")) {
            try channel.writeInbound(bytes)
        }
        #expect(try channel.readInbound(as: ByteBuffer.self) == nil, "nothing after the text is read")
        #expect(!channel.isActive)
    }
}
