import NIOCore
import NIOEmbedded
import NIOWebSocket
import Testing

@testable import KubePortForward

/// Frames as a server sends them (unmasked), in one buffer, from NIO's own frame encoder.
func serverFrameBytes(_ frames: [WebSocketFrame]) throws -> ByteBuffer {
    let channel = EmbeddedChannel(handler: WebSocketFrameEncoder())
    for frame in frames { try channel.writeOutbound(frame) }
    var bytes = ByteBuffer()
    while var chunk = try channel.readOutbound(as: ByteBuffer.self) { bytes.writeBuffer(&chunk) }
    return bytes
}

/// The tunnel's reader of the server's WebSocket frames.
@Suite struct WebSocketFrameStreamReaderTests {

    private func address(_ buffer: ByteBuffer) -> UInt {
        buffer.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) }
    }

    private func pattern(_ count: Int) -> ByteBuffer {
        ByteBuffer(bytes: (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 7) })
    }

    @Test func aBinaryFrameCutByTwoReadsPassesOnAsItArrivesWithoutACopy() throws {
        let payload = pattern(70_000)
        var bytes = try serverFrameBytes([WebSocketFrame(fin: true, opcode: .binary, data: payload)])
        let headerLength = 2 + 8  // 70,000 needs the 64-bit length
        var first = bytes.readSlice(length: headerLength + 30_000)!
        var second = bytes
        let (firstAddress, secondAddress) = (address(first), address(second))
        var reader = WebSocketFrameStreamReader()

        guard case .data(.binary, let head)? = try reader.next(&first) else {
            Issue.record("the first read's payload bytes were held back")
            return
        }
        #expect(try reader.next(&first) == nil)
        guard case .data(.binary, let tail)? = try reader.next(&second) else {
            Issue.record("the rest of the payload did not pass on")
            return
        }
        #expect(try reader.next(&second) == nil)
        #expect(head.readableBytes == 30_000 && tail.readableBytes == 40_000)
        var joined = head
        joined.writeImmutableBuffer(tail)
        #expect(joined == payload)
        #expect(address(head) == firstAddress + UInt(headerLength), "the first piece is the read's own memory")
        #expect(address(tail) == secondAddress, "so is the second")
    }

    @Test func framesReadAByteAtATimeComeOutWhole() throws {
        let frames = [
            WebSocketFrame(fin: true, opcode: .binary, data: pattern(300)),  // 16-bit length
            WebSocketFrame(fin: true, opcode: .ping, data: ByteBuffer(string: "are you there")),
            WebSocketFrame(fin: false, opcode: .binary, data: pattern(5)),
            WebSocketFrame(fin: true, opcode: .continuation, data: pattern(70_000)),  // 64-bit length
            WebSocketFrame(fin: true, opcode: .pong, data: ByteBuffer()),
            WebSocketFrame(fin: true, opcode: .binary, data: ByteBuffer()),  // nothing to pass on
            WebSocketFrame(fin: true, opcode: .connectionClose, data: ByteBuffer(bytes: [0x03, 0xE8])),
        ]
        var bytes = try serverFrameBytes(frames)
        var reader = WebSocketFrameStreamReader()
        var (binary, continuation) = (ByteBuffer(), ByteBuffer())
        var controls: [WebSocketFrameStreamReader.Event] = []
        while var byte = bytes.readSlice(length: 1) {
            while let event = try reader.next(&byte) {
                switch event {
                case .data(.binary, let piece): binary.writeImmutableBuffer(piece)
                case .data(.continuation, let piece): continuation.writeImmutableBuffer(piece)
                case .data(let opcode, _): Issue.record("a data frame of opcode \(opcode) appeared")
                case .control: controls.append(event)
                }
            }
            #expect(byte.readableBytes == 0, "every byte is consumed")
        }
        var sent = pattern(300)
        sent.writeImmutableBuffer(pattern(5))
        #expect(binary == sent)
        #expect(continuation == pattern(70_000))
        #expect(controls == [
            .control(opcode: .ping, body: ByteBuffer(string: "are you there")),
            .control(opcode: .pong, body: ByteBuffer()),
            .control(opcode: .connectionClose, body: ByteBuffer(bytes: [0x03, 0xE8])),
        ])
    }

    /// Every length class (7-bit, 16-bit, 64-bit and their edges) with pings between, cut at random places.
    @Test(arguments: [1, 2, 3] as [UInt64])
    func framesCutAtRandomPlacesComeOutWhole(seed: UInt64) throws {
        let sizes = [0, 1, 125, 126, 127, 65_535, 65_536, 70_000]
        var frames: [WebSocketFrame] = []
        var sent = ByteBuffer()
        for (index, size) in sizes.enumerated() {
            let payload = pattern(size + index)
            sent.writeImmutableBuffer(payload)
            frames.append(WebSocketFrame(fin: true, opcode: .binary, data: payload))
            frames.append(WebSocketFrame(fin: true, opcode: .ping, data: ByteBuffer(string: "ping \(index)")))
        }
        var bytes = try serverFrameBytes(frames)
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        var reader = WebSocketFrameStreamReader()
        var (received, pings) = (ByteBuffer(), [String]())
        while bytes.readableBytes > 0 {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            var cut = bytes.readSlice(length: min(bytes.readableBytes, 1 + Int(state % 20_000)))!
            while let event = try reader.next(&cut) {
                switch event {
                case .data(.binary, let piece): received.writeImmutableBuffer(piece)
                case .control(.ping, let body): pings.append(String(buffer: body))
                default: Issue.record("unexpected \(event)")
                }
            }
        }
        #expect(received == sent)
        #expect(pings == sizes.indices.map { "ping \($0)" })
    }

    @Test(arguments: [
        ([0x82, 0x81, 1, 2, 3, 4, 0x00], WebSocketFrameStreamReader.Failure.maskedByServer),
        ([0xC2, 0x00], .reservedBitsSet),
        ([0x89, 0x7E, 0x00, 0x7E], .controlFrameTooLong(126)),
        ([0x09, 0x00], .controlFrameFragmented),
        ([0x82, 0x7F, 0x80, 0, 0, 0, 0, 0, 0, 0], .lengthTooLarge),
    ] as [([UInt8], WebSocketFrameStreamReader.Failure)])
    func aFrameAClientMustRefuseIsAFailure(bytes: [UInt8], failure: WebSocketFrameStreamReader.Failure) {
        var buffer = ByteBuffer(bytes: bytes)
        var reader = WebSocketFrameStreamReader()
        #expect(throws: failure) { try reader.next(&buffer) }
    }
}
