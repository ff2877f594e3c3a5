import FakeKube
import NIOCore
import NIOPosix
import Testing

/// The pods' echo passes a half-close on only after the echo of everything before it: a client that sends, then
/// half-closes, then reads, gets every byte back even when the echo could not write it all at once.
@Suite struct LoopbackEchoServerTests {
    @Test func aClientThatHalfClosesAndReadsLateGetsItsWholeEchoBack() async throws {
        let echo = try await LoopbackEchoServer.start()
        // More than the sockets between echo and client hold (about 3 MB on Linux loopback with the client's small
        // receive buffer), so the echo still has writes queued when the half-close reaches it.
        try await withThrowingTaskGroup { group in
            for size in [3584 << 10, 4608 << 10] {
                group.addTask {
                    let received = try await Self.echoReadLate(size: size, through: echo.address)
                    #expect(received == size, "\(size) bytes sent")
                }
            }
            try await group.waitForAll()
        }
        try await echo.shutdown()
    }

    /// Sends `size` bytes and a FIN, and reads the echo only 100 ms later: the slow reader is the case under test
    /// (nothing to wait for; without the delay the echo usually drains before the FIN arrives).
    private static func echoReadLate(size: Int, through address: SocketAddress) async throws -> Int {
        let client = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.allowRemoteHalfClosure, value: true)
            .channelOption(.socketOption(.so_rcvbuf), value: 4096)
            .connect(to: address) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(
                        wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
                }
            }
        return try await client.executeThenClose { inbound, outbound in
            try await outbound.write(ByteBuffer(repeating: 0x2a, count: size))
            outbound.finish()
            try await Task.sleep(for: .milliseconds(100))
            var received = 0
            for try await buffer in inbound { received += buffer.readableBytes }
            return received
        }
    }
}
