@testable import BerthDaemon
import BerthMetrics
import BerthTestSupport
@testable import BerthWeb
import FakeKube
import Foundation
import Testing

/// One count of rebinds (docs/metrics.md, docs/dashboard.md): after a forward moved to another pod N times,
/// the dashboard's rebinds, the status's `rebinds` and `berth_rebinds_total` all say N, a move straight from
/// one Ready pod to another (no Rebinding between) included.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct RebindCountEndToEndTests {
    /// The web pods that are Ready and not being deleted.
    static func readyWebPods(_ server: FakeKubeServer) -> [String] {
        server.objects(.pods, namespace: "default").compactMap { pod in
            let ready = pod["status"]?["conditions"]?.arrayValue?.contains {
                $0["type"]?.stringValue == "Ready" && $0["status"]?.stringValue == "True"
            }
            guard pod["metadata"]?["labels"]?["app"] == "web", pod["metadata"]?["deletionTimestamp"] == nil, ready == true else { return nil }
            return pod["metadata"]?["name"]?.stringValue
        }
    }

    @Test func theDashboardStatusAndMetricsCountEveryMoveOnce() async throws {
        try await Harness.with { harness in
            try await harness.server.scale(namespace: "default", name: "web", replicas: 2)
            try harness.writeManifest("""
                apiVersion: berth/v1
                kind: Forwards
                forwards:
                  - name: web
                    deployment: web
                    ports: [{local: 0, remote: http}]
                """)
            try await harness.withDaemon { daemon in
                let host = DaemonHost(
                    daemon: daemon, runtimeDirectory: RuntimeDirectory(path: harness.directory.appendingPathComponent("runtime").path),
                    logger: Harness.quiet)
                let feed = DashboardFeed(source: host)
                let following = Task { await feed.run() }
                defer { following.cancel() }
                var pod = try #require(try await awaitStatus(daemon, "web Ready") { $0.isPhase("web", .ready) }["web"]?.pod)
                let moves = 3
                for _ in 0..<moves {
                    // Another pod is Ready first, so the forward moves to it without going through Rebinding.
                    try await eventually("two Ready web pods") { Self.readyWebPods(harness.server).count == 2 }
                    let deleted = pod
                    try await harness.server.deletePod(namespace: "default", name: deleted, force: true)
                    let moved = try await awaitStatus(daemon, "web Ready on another pod") { status in
                        status.isPhase("web", .ready) && status["web"]?.pod != nil && status["web"]?.pod != deleted
                    }
                    pod = try #require(moved["web"]?.pod)
                }
                let metrics = PrometheusSamples(daemon.configuration.metrics.exposition())
                #expect(metrics.value(MetricName.rebindsTotal, ["forward": "web"]) == Double(moves))
                #expect(await daemon.status()["web"]?.rebinds == moves)
                let snapshot = await feed.snapshot()
                #expect(snapshot.forwards["web"]?.rebinds == moves)
                #expect(snapshot.status["web"]?.rebinds == moves)
            }
        }
    }
}
