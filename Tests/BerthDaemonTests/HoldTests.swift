import BerthTestSupport
import NIOCore
import Testing

@testable import BerthDaemon

@Suite struct HoldTests {
    @Test func heldConnectionsAreBridgedInOrderOnceAnEndpointIsSet() async throws {
        let podA = try await TestServer.start(.echo(greeting: nil))
        let connector = CountingConnector(servers: [pod("a"): podA])
        let configuration = ForwardConfiguration(name: "hold", holdTimeout: .seconds(20), warmStreams: 0)
        try await withForward(configuration, connector: connector) { forward in
            let port = forward.port
            try await withTimeout(60, "held connections") {
                let first = try await connectClient(port: port)
                try await eventually("first held") { await forward.counters().heldConnections == 1 }
                let second = try await connectClient(port: port)
                try await eventually("second held") { await forward.counters().heldConnections == 2 }
                #expect(connector.connectCalls == 0)

                try await first.executeThenClose { (firstIn, firstOut) async throws in
                    try await second.executeThenClose { (secondIn, secondOut) async throws in
                        // Bytes sent while held wait in the socket; nothing is lost.
                        try await firstOut.write(ByteBuffer(string: "one"))
                        try await secondOut.write(ByteBuffer(string: "two"))
                        await forward.setEndpoint(pod("a"))
                        var firstReader = firstIn.makeAsyncIterator()
                        var secondReader = secondIn.makeAsyncIterator()
                        #expect(try await firstReader.read(count: 3) == "one")
                        #expect(try await secondReader.read(count: 3) == "two")
                    }
                }
            }
            let counters = await forward.counters()
            #expect(counters.heldConnections == 0)
            #expect(counters.totalConnections == 2)
            #expect(counters.errorCount(.holdTimedOut) == 0)
        }
        await podA.stop()
    }

    @Test func aConnectionHeldPastTheTimeoutIsClosed() async throws {
        let connector = CountingConnector(servers: [:])
        let configuration = ForwardConfiguration(name: "timeout", holdTimeout: .milliseconds(300), warmStreams: 0)
        try await withForward(configuration, connector: connector) { forward in
            let port = forward.port
            let started = ContinuousClock.now
            try await withTimeout(60, "hold timeout") {
                let client = try await connectClient(port: port)
                try await client.executeThenClose { (inbound, _) async throws in
                    var reader = inbound.makeAsyncIterator()
                    #expect(await reader.readToEnd() == "")
                }
            }
            #expect(ContinuousClock.now - started >= .milliseconds(300))
            let counters = await forward.counters()
            #expect(counters.errorCount(.holdTimedOut) == 1)
            #expect(counters.heldConnections == 0)
            #expect(connector.connectCalls == 0)
        }
    }

    @Test func connectionsBeyondTheHoldQueueAreClosedAtOnce() async throws {
        let connector = CountingConnector(servers: [:])
        let configuration = ForwardConfiguration(name: "full", holdTimeout: .seconds(20), maxHeldConnections: 1, warmStreams: 0)
        try await withForward(configuration, connector: connector) { forward in
            let port = forward.port
            try await withTimeout(60, "hold queue full") {
                let first = try await connectClient(port: port)
                try await eventually("first held") { await forward.counters().heldConnections == 1 }
                let second = try await connectClient(port: port)
                try await second.executeThenClose { (inbound, _) async throws in
                    var reader = inbound.makeAsyncIterator()
                    #expect(await reader.readToEnd() == "")
                }
                try await first.channel.close()
            }
            #expect(await forward.counters().errorCount(.holdQueueFull) == 1)
        }
    }

    @Test func stoppingTheForwardClosesHeldConnections() async throws {
        let connector = CountingConnector(servers: [:])
        let configuration = ForwardConfiguration(name: "stop", holdTimeout: .seconds(20), warmStreams: 0)
        let client = try await withForward(configuration, connector: connector) { forward in
            let client = try await connectClient(port: forward.port)
            try await eventually("held") { await forward.counters().heldConnections == 1 }
            return client
        }
        try await withTimeout(30, "held connection closed on stop") {
            try await client.executeThenClose { (inbound, _) async throws in
                var reader = inbound.makeAsyncIterator()
                #expect(await reader.readToEnd() == "")
            }
        }
    }
}
