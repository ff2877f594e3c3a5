import BerthTestSupport
import NIOCore
import Testing

@testable import BerthDaemon

@Suite struct ForwardEndpointTests {
    @Test func changingTheEndpointSendsNewConnectionsToTheNewPodOnly() async throws {
        let podA = try await TestServer.start(.echo(greeting: "A"))
        let podB = try await TestServer.start(.echo(greeting: "B"))
        let connector = CountingConnector(servers: [pod("a"): podA, pod("b"): podB])
        // A second forward to pod A proves the change is local to the forward it is made on.
        try await withForward(.init(name: "other", warmStreams: 0), connector: connector, endpoint: pod("a")) { other in
            try await withForward(.init(name: "main", warmStreams: 0), connector: connector, endpoint: pod("a")) { forward in
                let oldConnection = try await connectClient(port: forward.port)
                let otherConnection = try await connectClient(port: other.port)
                try await withTimeout(60, "endpoint change") {
                    try await oldConnection.executeThenClose { (oldIn, oldOut) async throws in
                        try await otherConnection.executeThenClose { (otherIn, otherOut) async throws in
                            var oldReader = oldIn.makeAsyncIterator()
                            var otherReader = otherIn.makeAsyncIterator()
                            #expect(try await oldReader.read(count: 1) == "A")
                            #expect(try await otherReader.read(count: 1) == "A")

                            await forward.setEndpoint(pod("b"))

                            // The connection to the old pod drains there (its pod may still be serving)...
                            try await oldOut.write(ByteBuffer(string: "old"))
                            #expect(try await oldReader.read(count: 3) == "old")
                            // ...new ones go to the new pod...
                            let newConnection = try await connectClient(port: forward.port)
                            try await newConnection.executeThenClose { (newIn, newOut) async throws in
                                var newReader = newIn.makeAsyncIterator()
                                #expect(try await newReader.read(count: 1) == "B")
                                // ...and setting the same endpoint again leaves it alone.
                                await forward.setEndpoint(pod("b"))
                                try await newOut.write(ByteBuffer(string: "still"))
                                #expect(try await newReader.read(count: 5) == "still")
                            }
                            // The other forward's connection to pod A is untouched.
                            try await otherOut.write(ByteBuffer(string: "alive"))
                            #expect(try await otherReader.read(count: 5) == "alive")
                        }
                    }
                }
                let counters = await forward.counters()
                #expect(counters.errorCount(.endpointGone) == 0)
                #expect(counters.endpoint == pod("b"))
                #expect(await other.counters().errorCount(.endpointGone) == 0)
            }
        }
        await podA.stop()
        await podB.stop()
    }

    @Test func clearingTheEndpointKeepsTheListenerAndHoldsNewConnections() async throws {
        let podA = try await TestServer.start(.echo(greeting: "A"))
        let connector = CountingConnector(servers: [pod("a"): podA])
        try await withForward(.init(name: "clear", holdTimeout: .seconds(5), warmStreams: 0), connector: connector, endpoint: pod("a")) { forward in
            let port = forward.port
            try await withTimeout(60, "clear endpoint") {
                let connection = try await connectClient(port: port)
                try await connection.executeThenClose { (inbound, _) async throws in
                    var reader = inbound.makeAsyncIterator()
                    #expect(try await reader.read(count: 1) == "A")
                    await forward.clearEndpoint(reason: "no ready pod")
                }
                // The port is still ours: a new client is accepted and held, not refused.
                let next = try await connectClient(port: port)
                try await eventually("connection held") { await forward.counters().heldConnections == 1 }
                try await next.channel.close()
            }
            #expect(forward.port == port)
            #expect(await forward.counters().endpoint == nil)
        }
        await podA.stop()
    }

    /// Losing sight of the cluster (a failing watch) is not losing the pod: open connections carry on, new
    /// ones wait, and when the same pod comes back the held ones are bridged and the open ones were never cut.
    @Test func clearingTheEndpointForAnUnseenClusterKeepsOpenConnections() async throws {
        let podA = try await TestServer.start(.echo(greeting: "A"))
        let connector = CountingConnector(servers: [pod("a"): podA])
        try await withForward(.init(name: "blind", holdTimeout: .seconds(30), warmStreams: 0), connector: connector, endpoint: pod("a")) { forward in
            try await withTimeout(60, "cluster unseen, then seen again") {
                let open = try await connectClient(port: forward.port)
                try await open.executeThenClose { (inbound, outbound) async throws in
                    var reader = inbound.makeAsyncIterator()
                    #expect(try await reader.read(count: 1) == "A")
                    await forward.clearEndpoint(reason: "cluster unreachable")
                    try await outbound.write(ByteBuffer(string: "still"))
                    #expect(try await reader.read(count: 5) == "still")

                    let held = try await connectClient(port: forward.port)
                    try await eventually("connection held") { await forward.counters().heldConnections == 1 }
                    await forward.setEndpoint(pod("a"))
                    try await held.executeThenClose { (heldIn, _) async throws in
                        var heldReader = heldIn.makeAsyncIterator()
                        #expect(try await heldReader.read(count: 1) == "A")
                    }
                    try await outbound.write(ByteBuffer(string: "after"))
                    #expect(try await reader.read(count: 5) == "after")
                }
            }
            #expect(await forward.counters().errorCount(.endpointGone) == 0)
        }
        await podA.stop()
    }
}
