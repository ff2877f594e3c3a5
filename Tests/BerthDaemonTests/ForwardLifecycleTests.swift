import BerthTestSupport
import NIOCore
import NIOPosix
import Testing

@testable import BerthDaemon

@Suite struct ForwardLifecycleTests {
    @Test func stoppingClosesOpenConnectionsWarmStreamsAndTheListener() async throws {
        let podA = try await TestServer.start(.echo(greeting: "A"))
        let connector = CountingConnector(servers: [pod("a"): podA])
        let (client, port) = try await withForward(.init(name: "life", warmStreams: 2), connector: connector, endpoint: pod("a")) { forward in
            try await eventually("warm streams ready") { await forward.counters().warmStreamsReady == 2 }
            let client = try await connectClient(port: forward.port)
            try await eventually("bridged") { await forward.counters().openConnections == 1 }
            return (client, forward.port)
        }
        // The bridged connection is closed by the stop...
        try await withTimeout(30, "open connection closed on stop") {
            try await client.executeThenClose { (inbound, _) async throws in
                var reader = inbound.makeAsyncIterator()
                // The greeting may or may not have made it through before the stop; the end must come.
                let rest = await reader.readToEnd()
                #expect(rest == "" || rest == "A")
            }
        }
        // ...and the port is free again.
        let again = try await ForwardListener.bind(host: "127.0.0.1", port: port, eventLoop: MultiThreadedEventLoopGroup.singleton.next())
        await again.close()
        await podA.stop()
    }

    @Test func aForwardRunsOnlyOnce() async throws {
        let connector = CountingConnector(servers: [:])
        _ = try await withForward(.init(name: "once", warmStreams: 0), connector: connector) { forward in
            await #expect(throws: BerthDaemonError.forwardAlreadyRunning(forward: "once")) {
                try await forward.run()
            }
        }
    }
}
