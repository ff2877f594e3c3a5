import BerthTestSupport
import NIOCore
import Testing

@testable import BerthDaemon

@Suite struct WarmPoolTests {
    @Test func sequentialConnectionsUsePreOpenedStreamsWithoutConnectingOnTheAcceptPath() async throws {
        let podA = try await TestServer.start(.echo(greeting: nil))
        let connector = CountingConnector(servers: [pod("a"): podA])
        try await withForward(.init(name: "warm", warmStreams: 1), connector: connector, endpoint: pod("a")) { forward in
            let port = forward.port
            for round in 1...3 {
                try await eventually("warm stream ready") { await forward.counters().warmStreamsReady == 1 }
                // Every stream ever opened was opened ahead of its connection.
                #expect(connector.connectCalls == round)
                let echoed = try await sendAndReadToEnd("hello \(round)", port: port, "round \(round)")
                #expect(echoed == "hello \(round)")
            }
            let counters = await forward.counters()
            #expect(counters.connectsOnAcceptPath == 0)
            #expect(counters.warmStreamsUsed == 3)
            #expect(counters.lastConnectLatency != nil)
            #expect(counters.averageConnectLatency != nil)
        }
        await podA.stop()
    }

    @Test(arguments: [(multiplexed: true, inUse: 6), (multiplexed: false, inUse: 1)])
    func withoutAWarmSettingTheTransportAndUseDecideHowManyStreamsWait(multiplexed: Bool, inUse: Int) async throws {
        #expect(ForwardConfiguration.defaultWarmStreams(multiplexed: multiplexed, inUse: true) == inUse)
        #expect(ForwardConfiguration.defaultWarmStreams(multiplexed: multiplexed, inUse: false) == 1)
        let podA = try await TestServer.start(.echo(greeting: nil))
        let connector = CountingConnector(servers: [pod("a"): podA], multiplexed: multiplexed)
        try await withForward(.init(name: "default", warmStreams: nil), connector: connector, endpoint: pod("a")) { forward in
            // Idle: one warm stream, whatever the transport (each holds a connection to the pod).
            try await eventually("1 warm stream ready") { await forward.counters().warmStreamsReady == 1 }
            #expect(connector.connectCalls == 1, "no more than the idle default are opened")
            let port = forward.port
            #expect(try await sendAndReadToEnd("first", port: port, "first") == "first")
            // In use: the pool grows to the transport's default.
            try await eventually("\(inUse) warm streams ready") { await forward.counters().warmStreamsReady == inUse }
            #expect(connector.connectCalls == 1 + inUse, "no more than the in-use default are opened")
            guard multiplexed else { return }
            // A browser's burst of 6: every connection finds its stream open, none dials on the accept path.
            try await withThrowingTaskGroup(of: String.self) { group in
                for index in 1...6 {
                    group.addTask { try await sendAndReadToEnd("burst \(index)", port: port, "burst \(index)") }
                }
                var echoed: Set<String> = []
                for try await reply in group { echoed.insert(reply) }
                #expect(echoed == Set((1...6).map { "burst \($0)" }))
            }
            let counters = await forward.counters()
            #expect(counters.connectsOnAcceptPath == 0 && counters.warmStreamsUsed == 7)
        }
        await podA.stop()
    }

    @Test func aUsedWarmStreamIsReplacedOnceThePodHasAnsweredNotAheadOfTheClientsBytes() async throws {
        // The sink answers only once the client has finished sending.
        let podA = try await TestServer.start(.sink)
        let connector = CountingConnector(servers: [pod("a"): podA])
        try await withForward(.init(name: "answer", warmStreams: 1, quickOpen: .seconds(1)), connector: connector, endpoint: pod("a")) { forward in
            try await eventually("warm stream ready") { await forward.counters().warmStreamsReady == 1 }
            try await withTimeout(30, "the exchange") {
                let client = try await connectClient(port: forward.port)
                try await client.executeThenClose { (inbound, outbound) async throws in
                    try await outbound.write(TestPattern.bytes(at: 0, count: 7))
                    try await eventually("the request passed on") { await forward.counters().bytesIn == 7 }
                    // The pod has not answered yet: opening the replacement would compete with this exchange.
                    #expect(connector.connectCalls == 1, "no replacement before the pod's first answer")
                    outbound.finish()
                    var reader = inbound.makeAsyncIterator()
                    #expect(await reader.readToEnd() == "7 ok")
                }
            }
            try await eventually("replaced once the pod answered") {
                let ready = await forward.counters().warmStreamsReady
                return connector.connectCalls == 2 && ready == 1
            }
        }
        await podA.stop()
    }

    @Test func nearbyUsedWarmStreamsAreReplacedTogetherOnceHalfThePoolIsUsed() async throws {
        let podA = try await TestServer.start(.echo(greeting: nil))
        // Opens are quick (a loopback pod; the limit is wide, for a debug build on a busy machine): replacements
        // wait for the first answer, and go out in batches.
        let connector = CountingConnector(servers: [pod("a"): podA])
        try await withForward(.init(name: "batch", warmStreams: 4, quickOpen: .seconds(1)), connector: connector, endpoint: pod("a")) { forward in
            try await eventually("4 warm streams ready") { await forward.counters().warmStreamsReady == 4 }
            let port = forward.port
            #expect(try await sendAndReadToEnd("one", port: port, "one") == "one")
            // The answer has passed the point where a replacement would be opened (on the loop, before the client
            // got it): one stream of four used is no batch yet.
            #expect(await forward.warmOpening == 0, "no replacement for the first stream used")
            #expect(await forward.counters().warmStreamsReady == 3)
            #expect(try await sendAndReadToEnd("two", port: port, "two") == "two")
            // Half the pool used: both are replaced together.
            try await eventually("both replaced") { await forward.counters().warmStreamsReady == 4 }
            #expect(connector.connectCalls == 6)
        }
        await podA.stop()
    }

    @Test func behindALongRoundTripAUsedWarmStreamIsReplacedAtOnce() async throws {
        // Opens that take a round trip to a distant API server: waiting for the pod's answer before opening the
        // replacement would leave the next burst of connections without streams for another round trip.
        let podA = try await TestServer.start(.sink)
        let connector = CountingConnector(servers: [pod("a"): podA], openTime: .milliseconds(20))
        // Opens take 20 ms, past the 2 ms that marks a nearby API server.
        try await withForward(.init(name: "far", warmStreams: 1), connector: connector, endpoint: pod("a")) { forward in
            try await eventually("warm stream ready") { await forward.counters().warmStreamsReady == 1 }
            try await withTimeout(30, "the exchange") {
                let client = try await connectClient(port: forward.port)
                try await client.executeThenClose { (inbound, outbound) async throws in
                    try await outbound.write(TestPattern.bytes(at: 0, count: 7))
                    // The pod has not answered, and will not until the client finishes: the replacement opens anyway.
                    try await eventually("replaced before the pod's answer") {
                        let ready = await forward.counters().warmStreamsReady
                        return connector.connectCalls == 2 && ready == 1
                    }
                    outbound.finish()
                    var reader = inbound.makeAsyncIterator()
                    #expect(await reader.readToEnd() == "7 ok")
                }
            }
        }
        await podA.stop()
    }

    @Test func aForwardIdleAgainKeepsOneWarmStreamOnceTheExtraOnesAgeOut() async throws {
        let podA = try await TestServer.start(.echo(greeting: nil))
        let connector = CountingConnector(servers: [pod("a"): podA], multiplexed: true)
        let configuration = ForwardConfiguration(
            name: "idle", warmStreams: nil, warmStreamMaxIdle: .seconds(5), warmInUseWindow: .milliseconds(500))
        try await withForward(configuration, connector: connector, endpoint: pod("a")) { forward in
            try await eventually("1 warm stream ready") { await forward.counters().warmStreamsReady == 1 }
            #expect(try await sendAndReadToEnd("one", port: forward.port, "one") == "one")
            try await eventually("6 warm streams ready") { await forward.counters().warmStreamsReady == 6 }
            #expect(connector.connectCalls == 7)
            // No connection since: as the six age out, only one is replaced.
            try await eventually("one warm stream left", within: 20) {
                let ready = await forward.counters().warmStreamsReady
                return connector.connectCalls >= 8 && ready == 1
            }
        }
        await podA.stop()
    }

    @Test func aConnectionThatFindsTheRefillInFlightTakesItInsteadOfDialling() async throws {
        let podA = try await TestServer.start(.echo(greeting: nil))
        let gate = ConnectGate()
        // The first warm stream opens at once; its refill stays in flight until the gate opens.
        let connector = CountingConnector(servers: [pod("a"): podA], gate: gate, ungated: 1)
        let configuration = ForwardConfiguration(name: "inflight", warmStreams: 1, warmStreamWaitLimit: .seconds(60))
        try await withForward(configuration, connector: connector, endpoint: pod("a")) { forward in
            let port = forward.port
            try await eventually("warm stream ready") { await forward.counters().warmStreamsReady == 1 }
            #expect(try await sendAndReadToEnd("first", port: port, "first") == "first")
            try await eventually("refill in flight") { connector.connectCalls == 2 }
            // The next client comes while the refill is still opening, as sequential clients do.
            async let second = sendAndReadToEnd("second", port: port, "second")
            try await eventually("second admitted") { await forward.counters().totalConnections == 2 }
            gate.open()
            #expect(try await second == "second")
            let counters = await forward.counters()
            #expect(counters.connectsOnAcceptPath == 0)
            #expect(counters.warmStreamsUsed == 2)
        }
        await podA.stop()
    }

    @Test func aWarmStreamTheServerClosedIsReplacedNotHandedOut() async throws {
        // The server cuts the first stream while it is idle, as the kubelet's idle timeout would.
        let podA = try await TestServer.start(.echo(greeting: "fresh"), closeFirst: 1)
        let connector = CountingConnector(servers: [pod("a"): podA])
        try await withForward(.init(name: "dead", warmStreams: 1), connector: connector, endpoint: pod("a")) { forward in
            let port = forward.port
            // Depending on when the close lands, it is seen in the pool (died) or while the stream is
            // still being set up (a failed open, retried after a backoff); either way it is replaced.
            try await eventually("dead stream replaced") {
                let counters = await forward.counters()
                let noticed = counters.errorCount(.warmStreamDied) + counters.errorCount(.warmConnectFailed)
                return noticed == 1 && counters.warmStreamsReady == 1
            }
            #expect(connector.connectCalls == 2)
            try await withTimeout(30, "bridged over the replacement") {
                let client = try await connectClient(port: port)
                try await client.executeThenClose { (inbound, _) async throws in
                    var reader = inbound.makeAsyncIterator()
                    // The greeting was sent before the client existed: the warm stream kept it.
                    #expect(try await reader.read(count: 5) == "fresh")
                }
            }
            #expect(await forward.counters().connectsOnAcceptPath == 0)
        }
        await podA.stop()
    }

    @Test func warmStreamsAreRecycledBeforeTheirMaxIdleAge() async throws {
        let podA = try await TestServer.start(.echo(greeting: nil))
        let connector = CountingConnector(servers: [pod("a"): podA])
        let configuration = ForwardConfiguration(name: "recycle", warmStreams: 1, warmStreamMaxIdle: .milliseconds(100))
        try await withForward(configuration, connector: connector, endpoint: pod("a")) { forward in
            try await eventually("recycled twice") { connector.connectCalls >= 3 }
            try await eventually("a fresh one ready") { await forward.counters().warmStreamsReady == 1 }
            #expect(await forward.counters().errorCount(.warmStreamDied) == 0)
        }
        await podA.stop()
    }

    @Test func usingWarmStreamsCancelsNoLongSleepAndTheyStillAgeOut() async throws {
        // A sleep cancelled early stays allocated until its deadline (swiftlang/swift#60441): a sleep of
        // `warmStreamMaxIdle` per stream, cancelled when the stream was used, grew berth's heap through every busy
        // spell (about 1,900 such sleeps, 1.1 MB, after three minutes of the chaos soak).
        let podA = try await TestServer.start(.echo(greeting: nil))
        let connector = CountingConnector(servers: [pod("a"): podA])
        let clock = ManualClock()
        let configuration = ForwardConfiguration(name: "used", warmStreams: 1, warmStreamMaxIdle: .seconds(240))
        try await withForward(configuration, connector: connector, endpoint: pod("a"), clock: clock) { forward in
            let port = forward.port
            for round in 1...10 {
                try await eventually("warm stream \(round) ready") { await forward.counters().warmStreamsReady == 1 }
                // A healthy forward's streams set no timer of their own (a probation is timed only while there are
                // failures to clear): the one sleep is the ager's, until the oldest stream's maximum idle age.
                await clock.waitForSleeper(dueBy: clock.now.advanced(by: configuration.warmStreamMaxIdle))
                #expect(clock.sleeperCount == 1, "round \(round)")
                #expect(try await sendAndReadToEnd("round \(round)", port: port, "round \(round)") == "round \(round)")
            }
            #expect(await forward.counters().warmStreamsUsed == 10)
            let long = clock.cancelledSleepRemainders.filter { $0 > .seconds(5) }
            #expect(long.isEmpty, "sleeps cancelled with this much time left: \(long)")

            // The stream ready now is still closed and replaced once it has waited its maximum idle time.
            try await eventually("warm stream 11 ready") { await forward.counters().warmStreamsReady == 1 }
            #expect(connector.connectCalls == 11)
            clock.advance(by: configuration.warmStreamMaxIdle)
            try await eventually("aged out and replaced") {
                let ready = await forward.counters().warmStreamsReady
                return connector.connectCalls == 12 && ready == 1
            }
            #expect(await forward.counters().errorCount(.warmStreamDied) == 0)
        }
        await podA.stop()
    }

    @Test func anEndpointChangeRebuildsWarmStreamsForTheNewPod() async throws {
        let podA = try await TestServer.start(.echo(greeting: "A"))
        let podB = try await TestServer.start(.echo(greeting: "B"))
        let connector = CountingConnector(servers: [pod("a"): podA, pod("b"): podB])
        try await withForward(.init(name: "rebuild", warmStreams: 2), connector: connector, endpoint: pod("a")) { forward in
            try await eventually("two warm to A") { await forward.counters().warmStreamsReady == 2 }
            await forward.setEndpoint(pod("b"))
            try await eventually("two warm to B") {
                let ready = await forward.counters().warmStreamsReady
                return podB.accepted == 2 && ready == 2
            }
            let port = forward.port
            try await withTimeout(30, "bridged to B") {
                let client = try await connectClient(port: port)
                try await client.executeThenClose { (inbound, _) async throws in
                    var reader = inbound.makeAsyncIterator()
                    #expect(try await reader.read(count: 1) == "B")
                }
            }
            #expect(await forward.counters().connectsOnAcceptPath == 0)
        }
        await podA.stop()
        await podB.stop()
    }

    @Test func warmStreamsAreOffWhenZero() async throws {
        let podA = try await TestServer.start(.echo(greeting: nil))
        let connector = CountingConnector(servers: [pod("a"): podA])
        try await withForward(.init(name: "cold", warmStreams: 0), connector: connector, endpoint: pod("a")) { forward in
            let port = forward.port
            let echoed = try await sendAndReadToEnd("x", port: port, "cold connection")
            #expect(echoed == "x")
            let counters = await forward.counters()
            #expect(counters.connectsOnAcceptPath == 1)
            #expect(counters.warmStreamsReady == 0)
            #expect(connector.connectCalls == 1)
        }
        await podA.stop()
    }
}
