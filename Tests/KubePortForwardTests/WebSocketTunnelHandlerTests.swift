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
}
