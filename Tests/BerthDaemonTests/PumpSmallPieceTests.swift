import NIOCore
import NIOEmbedded
import Testing

@testable import BerthDaemon

/// What the pump hands a partner that may not read for a while, on two embedded channels of one loop.
@Suite struct PumpSmallPieceTests {
    @Test func aSmallPieceOfALargeReadGoesOnAsItsOwnBytes() throws {
        let loop = EmbeddedEventLoop()
        let client = EmbeddedChannel(loop: loop)
        let upstream = EmbeddedChannel(loop: loop)
        try client.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        try upstream.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 2)).wait()
        let outcome = try Pump.bridge(client: client, upstream: UpstreamStream(channel: upstream, supportsHalfClose: true), counters: [])
        #expect(outcome == .bridged)

        var read = ByteBufferAllocator().buffer(capacity: 64 * 1024)
        read.writeBytes((0..<(64 * 1024)).map { UInt8(truncatingIfNeeded: $0 &* 13) })
        let small = read.getSlice(at: 100, length: 200)!
        let large = read.getSlice(at: 1_000, length: 32 * 1024)!
        upstream.pipeline.fireChannelRead(small)
        upstream.pipeline.fireChannelRead(large)
        upstream.pipeline.fireChannelReadComplete()

        let first = try #require(try client.readOutbound(as: ByteBuffer.self))
        let second = try #require(try client.readOutbound(as: ByteBuffer.self))
        #expect(first == small && second == large)
        #expect(first.storageCapacity < 64 * 1024, "200 bytes kept a 64 KiB read alive")
        #expect(second.storageCapacity >= 64 * 1024, "half a read is passed on as it is")
        _ = try? client.finish()
        _ = try? upstream.finish()
    }
}
