import Foundation
import Testing

/// Network trouble ends in exactly one re-establishment, not zero and not a storm: a FakeKube partition (each
/// informer re-watches once; warm streams reopen, at most twice each) and an interface flap in a network namespace of the
/// test's own (one settled resync, counted as `resyncs` in `berth status -o json`).
@Suite(.serialized, .timeLimit(.minutes(3)))
struct NetworkResyncEndToEndTests {
    typealias Scenario = ProcessEndToEndTests

    /// pods, services and endpointslices (web), statefulsets (db), deployments (api), all in `default`.
    static let informers = 5

    @Test func aPartitionIsRecoveredWithOneWatchPerInformerAndNoStreamStorm() async throws {
        try await ThreeForwards.with { world, berth in
            try await awaitWarm(world)

            try await world.fakeKube(post: "stats/reset")
            // 2 s: every informer's first retry (0.8 to 1.6 s after its watch was cut) is refused inside it and backs
            // off again, and the second (at 2.4 to 4.8 s) finds the server back; a longer partition only adds backoff.
            try await world.fakeKube(post: "chaos/partition?seconds=2")
            let recovered = try await world.awaitStats(within: .seconds(60), "every watch and warm stream back") { stats in
                stats.openWatches == Self.informers && (stats.berthRequests["portforward pods"] ?? 0) >= Scenario.names.count
            }
            // Whatever else would follow (a storm) has time to show: twice the reflectors' first backoff step.
            try await Task.sleep(for: .seconds(3))
            let requests = try await world.fakeKubeStats().berthRequests
            let watches = requests.filter { $0.key.hasPrefix("watch ") }
            #expect(watches.count == Self.informers && watches.values.allSatisfy { $0 == 1 }, "one watch per informer: \(requests)")
            #expect(requests.filter { $0.key.hasPrefix("list ") }.values.allSatisfy { $0 <= 1 }, "at most one relist per informer: \(requests)")
            // Each forward reopens its warm stream once; a forward that reopened it before its informers watched
            // again is set back (cluster unreachable: endpoint cleared) and reopens once more when they do.
            let reopened = requests["portforward pods"] ?? 0
            #expect((Scenario.names.count...2 * Scenario.names.count).contains(reopened),
                    "one or two new warm streams per forward, no storm: \(requests); at recovery: \(recovered.berthRequests)")

            let status = try await world.awaitStatus(berth.manifest, "Ready after the partition") { $0.allPhases(Scenario.names, are: "Ready") }
            #expect(status.resyncs == 0, "a partition is no local network change: the informers' own retries recover it")
            for name in Scenario.names {
                #expect(try await TestHTTP.get(port: try #require(status.localPort(name))).contains(try #require(status.pod(name))))
            }
            #expect(try await berth.down(world), "log:\n\(berth.up.log())")
        }
    }

    @Test(.enabled(if: NetworkNamespace.supported, "needs root and iproute2 for a network namespace of its own"))
    func anInterfaceFlapLeadsToExactlyOneResyncAfterTheSettleWindow() async throws {
        try await NetworkNamespace.with { namespace in
            try await ThreeForwards.with(launcher: namespace.launcher) { world, berth in
                let manifest = berth.manifest
                let before = try #require(berth.ready.resyncs, "status carries resyncs")

                // One burst, well inside the 2 s settle window: a new veth pair, then its end flapped three times.
                try await namespace.ip("link", "add", "berth0", "type", "veth", "peer", "name", "berth1")
                for _ in 0..<3 {
                    try await namespace.ip("link", "set", "berth0", "up")
                    try await namespace.ip("link", "set", "berth0", "down")
                }
                let burstEnded = ContinuousClock.now
                let resynced = try await world.awaitStatus(manifest, "a resync after the flap") { ($0.resyncs ?? 0) > before }
                #expect(ContinuousClock.now - burstEnded >= .seconds(2), "the resync waits for the settle window")
                #expect(resynced.resyncs == before + 1)
                // A storm would show within another settle window (and a bit).
                try await Task.sleep(for: .seconds(3))
                let settled = try await world.awaitStatus(manifest, "Ready after the resync") { $0.allPhases(Scenario.names, are: "Ready") }
                #expect(settled.resyncs == before + 1, "exactly one resync for the whole burst")
                try await expectTraffic(world, settled)

                #expect(try await berth.down(world), "log:\n\(berth.up.log())")
            }
        }
    }

    /// The forwards' listeners live inside the namespace: curl runs there too.
    private func expectTraffic(_ world: ProcessWorld, _ status: [String: Any]) async throws {
        for name in Scenario.names {
            let port = try #require(status.localPort(name))
            let reply = try await world.run(["/usr/bin/curl", "-s", "--max-time", "10", "http://127.0.0.1:\(port)/"])
            #expect(reply.stdout.contains(try #require(status.pod(name))), "\(name) carries traffic after the flap: \(reply.stdout)\(reply.stderr)")
        }
    }
}

/// Waits until every informer watches and every forward holds its warm stream: the start-up requests are over.
func awaitWarm(_ world: ProcessWorld) async throws {
    try await world.awaitStats("start-up done") { stats in
        stats.openWatches == NetworkResyncEndToEndTests.informers
            && (stats.berthRequests["portforward pods"] ?? 0) >= ProcessEndToEndTests.names.count
    }
}
