import BerthRelay
import NIOCore
import NIOEmbedded
import Testing

/// The frame codec keeps datagram boundaries whatever the stream's segmentation.
@Suite struct UDPFrameDecoderTests {
    @Test func framesSplitAnywhereComeOutWhole() throws {
        let payloads: [[UInt8]] = [[], [7], Array(repeating: 0xAB, count: 300), (0..<65535).map { UInt8(truncatingIfNeeded: $0) }]
        var stream = ByteBuffer()
        for payload in payloads { try UDPFrame.write(ByteBuffer(bytes: payload), to: &stream) }
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(UDPFrameDecoder()))
        // One byte, then growing pieces: every frame boundary falls mid-read somewhere.
        var size = 1
        while stream.readableBytes > 0 {
            try channel.writeInbound(stream.readSlice(length: min(size, stream.readableBytes))!)
            size = size * 3 + 1
        }
        var received: [[UInt8]] = []
        while let payload = try channel.readInbound(as: ByteBuffer.self) { received.append(Array(payload.readableBytesView)) }
        #expect(received == payloads)
        #expect(try channel.finish().isClean)
    }

    @Test func aPartialFrameAtTheEndIsDropped() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(UDPFrameDecoder()))
        try channel.writeInbound(ByteBuffer(bytes: [0, 2, 1, 2, 0, 5, 9]))
        #expect(try channel.readInbound(as: ByteBuffer.self).map { Array($0.readableBytesView) } == [1, 2])
        #expect(try channel.finish().isClean)
    }

    @Test func aDatagramTooLargeForAFrameIsRefused() {
        var buffer = ByteBuffer()
        #expect(throws: UDPFrameError.payloadTooLarge(65536)) {
            try UDPFrame.write(ByteBuffer(repeating: 0, count: 65536), to: &buffer)
        }
        #expect(buffer.readableBytes == 0)
    }
}
