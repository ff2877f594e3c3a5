import BerthTestSupport
import NIOCore
import Testing

@testable import BerthDaemon

@Suite struct PumpTests {
    static let size = 64 * 1024 * 1024

    @Test func sixtyFourMebibytesEachWayThroughEchoAreByteExact() async throws {
        let server = try await TestServer.start(.echo(greeting: nil))
        let connector = CountingConnector(servers: [pod("echo"): server])
        let counters = try await withForward(.init(name: "echo"), connector: connector, endpoint: pod("echo")) { forward in
            let port = forward.port
            try await withTimeout(60, "64 MiB echo") {
                let client = try await connectClient(port: port)
                try await client.executeThenClose { (inbound, outbound) async throws in
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask {
                            var offset = 0
                            while offset < Self.size {
                                let count = min(256 * 1024, Self.size - offset)
                                try await outbound.write(TestPattern.bytes(at: offset, count: count))
                                offset += count
                            }
                            outbound.finish()
                        }
                        var received = 0
                        for try await buffer in inbound {
                            #expect(TestPattern.matches(buffer, at: received), "mismatch at offset \(received)")
                            received += buffer.readableBytes
                        }
                        #expect(received == Self.size)
                        try await group.waitForAll()
                    }
                }
            }
            return await forward.counters()
        }
        #expect(counters.bytesIn == Self.size)
        #expect(counters.bytesOut == Self.size)
        #expect(counters.totalConnections == 1)
        await server.stop()
    }

    @Test func sixtyFourMebibytesUpstreamThenHalfCloseGetsTheSinksAnswer() async throws {
        let server = try await TestServer.start(.sink)
        let connector = CountingConnector(servers: [pod("sink"): server])
        try await withForward(.init(name: "sink"), connector: connector, endpoint: pod("sink")) { forward in
            let port = forward.port
            let reply = try await withTimeout(60, "64 MiB sink") {
                let client = try await connectClient(port: port)
                return try await client.executeThenClose { (inbound, outbound) async throws in
                    var offset = 0
                    while offset < Self.size {
                        let count = min(256 * 1024, Self.size - offset)
                        try await outbound.write(TestPattern.bytes(at: offset, count: count))
                        offset += count
                    }
                    // The sink answers only once it sees our FIN, so the reply proves the FIN went
                    // through while the other direction stayed open.
                    outbound.finish()
                    var iterator = inbound.makeAsyncIterator()
                    return await iterator.readToEnd()
                }
            }
            #expect(reply == "\(Self.size) ok")
        }
        await server.stop()
    }

    @Test func sixtyFourMebibytesDownstreamFromSourceAreByteExact() async throws {
        let server = try await TestServer.start(.source(bytes: Self.size))
        let connector = CountingConnector(servers: [pod("source"): server])
        try await withForward(.init(name: "source", warmStreams: 0), connector: connector, endpoint: pod("source")) { forward in
            let port = forward.port
            let received = try await withTimeout(60, "64 MiB source") {
                let client = try await connectClient(port: port)
                return try await client.executeThenClose { (inbound, _) async throws in
                    var received = 0
                    var intact = true
                    var firstMismatch = -1
                    for try await buffer in inbound {
                        if intact && !TestPattern.matches(buffer, at: received) {
                            intact = false
                            firstMismatch = received
                        }
                        received += buffer.readableBytes
                    }
                    #expect(intact, "first mismatch in the buffer at offset \(firstMismatch)")
                    return received
                }
            }
            #expect(received == Self.size)
        }
        await server.stop()
    }

    @Test func aClientThatDoesNotReadStopsTheUpstreamReads() async throws {
        let server = try await TestServer.start(.source(bytes: Self.size))
        let connector = CountingConnector(servers: [pod("source"): server])
        try await withForward(.init(name: "slow", warmStreams: 0), connector: connector, endpoint: pod("source")) { forward in
            let port = forward.port
            let client = try await connectClient(port: port)
            // Nothing reads the client yet. Without backpressure the forward would read all 64 MiB;
            // with it, reading stops once the socket buffers and one watermark are full. The stall
            // has no event of its own, so wait for the count to stop moving.
            var last = -1
            try await eventually("upstream reads stall", within: 60) {
                let now = await forward.counters().bytesOut
                defer { last = now }
                try await Task.sleep(for: .milliseconds(100))
                return now > 0 && now == last
            }
            #expect(last < 32 * 1024 * 1024, "the forward read \(last) bytes for a client that read none")
            let received = try await withTimeout(60, "drain after the stall") {
                try await client.executeThenClose { (inbound, _) async throws in
                    var received = 0
                    for try await buffer in inbound {
                        #expect(TestPattern.matches(buffer, at: received))
                        received += buffer.readableBytes
                    }
                    return received
                }
            }
            #expect(received == Self.size)
        }
        await server.stop()
    }

    @Test func oneHundredConcurrentConnectionsEachGetTheirOwnBytes() async throws {
        let server = try await TestServer.start(.echo(greeting: nil))
        let connector = CountingConnector(servers: [pod("echo"): server])
        let counters = try await withForward(.init(name: "many"), connector: connector, endpoint: pod("echo")) { forward in
            let port = forward.port
            try await withTimeout(30, "100 connections") {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for index in 0..<100 {
                        group.addTask {
                            let client = try await connectClient(port: port)
                            let message = "connection \(index) " + String(repeating: "x", count: index * 10)
                            let echoed = try await client.executeThenClose { (inbound, outbound) async throws in
                                try await outbound.write(ByteBuffer(string: message))
                                outbound.finish()
                                var iterator = inbound.makeAsyncIterator()
                                return await iterator.readToEnd()
                            }
                            #expect(echoed == message)
                        }
                    }
                    try await group.waitForAll()
                }
            }
            try await eventually("all connections closed") { await forward.counters().openConnections == 0 }
            return await forward.counters()
        }
        #expect(counters.totalConnections == 100)
        #expect(server.accepted >= 100)
        await server.stop()
    }

    @Test func clientFinReachesUpstreamAndTheResponseStillArrives() async throws {
        let server = try await TestServer.start(.sink)
        let connector = CountingConnector(servers: [pod("sink"): server])
        try await withForward(.init(name: "fin"), connector: connector, endpoint: pod("sink")) { forward in
            let port = forward.port
            let reply = try await withTimeout(60, "half-close") {
                let client = try await connectClient(port: port)
                return try await client.executeThenClose { (inbound, outbound) async throws in
                    try await outbound.write(TestPattern.bytes(at: 0, count: 1000))
                    outbound.finish()
                    var iterator = inbound.makeAsyncIterator()
                    return await iterator.readToEnd()
                }
            }
            #expect(reply == "1000 ok")
        }
        await server.stop()
    }

    @Test func upstreamWithoutHalfCloseKeepsTheConnectionOpenAfterClientFin() async throws {
        // WebSocket v4 cannot carry a FIN: the client's FIN must not tear the connection down, so a
        // reply the pod sends afterwards still arrives.
        let server = try await TestServer.start(.echo(greeting: nil))
        let connector = CountingConnector(supportsHalfClose: false, servers: [pod("echo"): server])
        try await withForward(.init(name: "nofin"), connector: connector, endpoint: pod("echo")) { forward in
            let port = forward.port
            let (echoed, openAfterFin) = try await withTimeout(60, "no half-close") {
                let client = try await connectClient(port: port)
                return try await client.executeThenClose { (inbound, outbound) async throws in
                    try await outbound.write(ByteBuffer(string: "request"))
                    outbound.finish()
                    var iterator = inbound.makeAsyncIterator()
                    let echoed = try await iterator.read(count: 7)
                    let open = await forward.connections()
                    #expect(open.count == 1)
                    #expect(open.first?.bytesIn == 7)
                    #expect(open.first?.bytesOut == 7)
                    #expect(open.first?.endpoint == pod("echo"))
                    return (echoed, await forward.counters().openConnections)
                }
            }
            #expect(echoed == "request")
            #expect(openAfterFin == 1)
        }
        await server.stop()
    }
}
