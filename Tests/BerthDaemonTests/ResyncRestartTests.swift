import BerthMetrics
import BerthTestSupport
import Foundation
import Testing

@testable import BerthDaemon

/// After a network change settles, the resync starts failing watches over at once instead of waiting out their
/// backoff. The daemon runs on a manual clock that stands still until the watch is back: only the resync can
/// bring it back.
@Suite(.serialized) struct ResyncRestartTests {
    @Test func aResyncRestartsAWatchThatIsBackingOff() async throws {
        let manifest = oneForwardManifest("name: lone", "pod: lone", "ports: [{local: 0, remote: 7000}]")
        try await withManualClockDaemon(scenario: FailedRetryTests.scenario, manifest: manifest) { daemon, clock, cluster in
            try await withTimeout(20, "lone Ready") {
                for await status in daemon.statusChanges() where status.forwards.first?.phase == .ready { return }
            }
            try await eventually("the pods watch open", within: 10) { await cluster.openWatches() == 1 }

            _ = try await cluster.raw("/fake/v1/chaos/partition?seconds=2", post: true)
            let scope = ObservedState.Scope(cluster: "admin", namespace: "default")
            try await eventually("the pods informer backing off", within: 10) { daemon.observed.isBackingOff(.pods, in: scope) }
            // Its store synced before: the forward keeps running on the last good state meanwhile.
            guard case .synced = daemon.observed.health(of: scope, resources: [.pods]) else {
                Issue.record("a synced store whose watch fails must keep its forward running")
                return
            }
            // The partition is over, but the reflector sleeps its backoff on a clock that does not move.
            try await eventually("fake-kube answering again, with no watch", within: 10) { await cluster.openWatches() == 0 }

            await daemon.resync()
            try await eventually("the pods watch open again", within: 10) { await cluster.openWatches() == 1 }
            // The partition may fail the warm streams before the watch: the forward is then Rebinding (same pod,
            // streams failing) until a new warm stream outlives its probation, on the daemon's clock. Only now,
            // with the watch back, may the clock move.
            try await eventually("lone Ready again", within: 10) {
                clock.advance(by: Forward.shortestHealthyWarmLife)
                return await daemon.status().forwards.first?.phase == .ready
            }
            #expect(await daemon.status().resyncs == 1)
            // The same events, as the daemon's metrics count them (docs/metrics.md).
            let samples = PrometheusSamples(daemon.configuration.metrics.exposition())
            #expect(samples.value(MetricName.networkResyncsTotal) == 1)
            #expect((samples.value(MetricName.watchRestartsTotal) ?? 0) >= 1, "the pods watch opened again")
            #expect(samples.value(MetricName.forwardPhase, ["forward": "lone", "phase": "Ready"]) == 1)
            #expect(samples.value(MetricName.forwardPhase, ["forward": "lone", "phase": "Failed"]) == 0)
            #expect((samples.value(MetricName.apiRequestsTotal, ["verb": "list"]) ?? 0) >= 2, "listed again after the partition")
        }
    }
}
