import BerthRelay
import BerthTestSupport
import NIOCore
import NIOPosix
import Testing

/// The relay against real local backends: TCP byte-exact both ways with half-close, datagrams framed over TCP
/// with each reply reaching its sender, an unreachable target closing the accepted connection.
@Suite struct RelayServerTests {
    @Test func tcpCarriesEightMebibytesExactlyBothWaysAndPassesTheHalfClose() async throws {
        let echo = try await Backends.tcpEcho()
        defer { echo.task.cancel() }
        let relay = RelayServer(configuration: .init(routes: [.init(kind: .tcp, listenPort: 10000, host: "orders.example.com", port: 5432)]))
        let bound = try await relay.start(bindPort: { _ in 0 }, resolve: { host, port, _ in
            host == "orders.example.com" && port == 5432 ? try? SocketAddress(ipAddress: "127.0.0.1", port: echo.port) : nil
        })
        let port = try #require(bound[10000])
        // 8 MiB: 128 chunks of the pattern, each starting with its own number, so a lost or reordered chunk shows.
        let chunks = (0..<128).map { index -> ByteBuffer in
            var chunk = ByteBuffer(bytes: pattern)
            chunk.setInteger(UInt32(index), at: 0)
            return chunk
        }
        let client = try await Backends.connect(port: port)
        let received = try await client.executeThenClose { inbound, outbound in
            try await withThrowingTaskGroup { group in
                group.addTask {
                    for chunk in chunks { try await outbound.write(chunk) }
                    outbound.finish()
                    return ByteBuffer()
                }
                group.addTask {
                    var received = ByteBuffer()
                    for try await var buffer in inbound { received.writeBuffer(&buffer) }
                    return received
                }
                var received = ByteBuffer()
                for try await var part in group { received.writeBuffer(&part) }
                return received
            }
        }
        var sent = ByteBuffer()
        for var chunk in chunks { sent.writeBuffer(&chunk) }
        #expect(received.readableBytes == 8 << 20)
        // The echo ends only after our half-close reached it, through the relay: the inbound stream ended.
        #expect(received == sent)
        await relay.stop()
    }

    /// The client half-closes first, then the target sends and closes, and the client reads only 100 ms later (the
    /// slow reader is the case under test): what the relay still held for the client when the target's end reached
    /// it must reach the client all the same. The sizes step through what the sockets between relay and client hold
    /// (about 3 MB on Linux loopback with the client's small receive buffer) by less than the relay's write-buffer
    /// limit, so for some of them the relay has writes queued when the target's end arrives.
    @Test func whatTheTargetSentBeforeClosingReachesAClientThatHalfClosedAndReadsLate() async throws {
        let sizes = Array(stride(from: 2816 << 10, through: 3328 << 10, by: 32 << 10))
        var payload = ByteBuffer()
        while payload.readableBytes < sizes.max()! { payload.writeBytes(pattern) }
        let sender = try await Backends.tcpSender(payload: payload, sizes: sizes)
        defer { sender.task.cancel() }
        let relay = RelayServer(configuration: .init(routes: [.init(kind: .tcp, listenPort: 10000, host: "127.0.0.1", port: sender.port)]))
        let port = try #require(try await relay.start(bindPort: { _ in 0 })[10000])
        let received = try await withThrowingTaskGroup { group in
            for _ in sizes {
                group.addTask {
                    let client = try await Backends.connect(port: port, receiveBuffer: 4096)
                    return try await client.executeThenClose { inbound, outbound in
                        outbound.finish()
                        try await Task.sleep(for: .milliseconds(100))
                        var received = 0
                        for try await buffer in inbound { received += buffer.readableBytes }
                        return received
                    }
                }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        // Connections are served in any order, so compare what was sent with what came, as sets of sizes.
        #expect(received.sorted() == sizes)
        await relay.stop()
    }

    @Test func aTargetThatRefusesClosesTheAcceptedConnection() async throws {
        let relay = RelayServer(configuration: .init(routes: [.init(kind: .tcp, listenPort: 1, host: "127.0.0.1", port: 1)]))
        let bound = try await relay.start(bindPort: { _ in 0 })
        let client = try await Backends.connect(port: try #require(bound[1]))
        let bytes = try await client.executeThenClose { inbound, _ in
            var count = 0
            for try await buffer in inbound { count += buffer.readableBytes }
            return count
        }
        #expect(bytes == 0)
        await relay.stop()
    }

    @Test func aThousandDatagramsFromTwoSendersEachReachTheirSenderWhole() async throws {
        let echo = try await Backends.udpEcho()
        defer { echo.task.cancel() }
        let relay = RelayServer(configuration: .init(routes: [.init(kind: .udp, listenPort: 10001, host: "kube-dns.kube-system.svc.cluster.local", port: 53)]))
        let bound = try await relay.start(bindPort: { _ in 0 }, resolve: { _, _, _ in try? SocketAddress(ipAddress: "127.0.0.1", port: echo.port) })
        let port = try #require(bound[10001])
        let sizes = mixedDatagramSizes(count: 500)
        let replies = try await withThrowingTaskGroup { group in
            for sender in [UInt8(1), 2] {
                group.addTask {
                    let connection = try await Backends.connectFramed(port: port)
                    return try await connection.executeThenClose { inbound, outbound in
                        var replies = inbound.makeAsyncIterator()
                        var matched = 0
                        for (index, size) in sizes.enumerated() {
                            let sent = datagram(sender: sender, index: index, size: size)
                            try await outbound.write(try UDPFrame.frame(sent, allocator: .init()))
                            guard let reply = try await replies.next() else { break }
                            if reply == sent { matched += 1 }
                        }
                        return matched
                    }
                }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(replies == [500, 500])
        await relay.stop()
    }

    @Test func stopClosesListenersAndConnections() async throws {
        let echo = try await Backends.tcpEcho()
        defer { echo.task.cancel() }
        let relay = RelayServer(configuration: .init(routes: [.init(kind: .tcp, listenPort: 10000, host: "127.0.0.1", port: echo.port)]))
        let port = try #require(try await relay.start(bindPort: { _ in 0 })[10000])
        let client = try await Backends.connect(port: port)
        try await client.executeThenClose { inbound, outbound in
            try await outbound.write(ByteBuffer(string: "ping"))
            var iterator = inbound.makeAsyncIterator()
            #expect(try await iterator.next().map { String(buffer: $0) } == "ping")
            await relay.stop()
            // Closed (end of stream) or reset: either way nothing more comes.
            #expect((try? await iterator.next()) ?? nil == nil, "the relayed connection closed with the relay")
        }
        await #expect(throws: (any Error).self) {
            // Should the port be taken again meanwhile (tests run side by side), the connection that succeeds is
            // closed properly, so the expectation fails rather than the process on an unfinished async channel.
            let stray = try await Backends.connect(port: port)
            try await stray.executeThenClose { _, _ in }
        }
        await #expect(throws: RelayServerError.self) { try await relay.start() }
    }
}
