import BerthDaemon
import Foundation
import ReconcileTesting
import Testing

/// A forward Failed for want of an endpoint is looked at again on its own, with bounded backoff, so it
/// recovers even when the informer event that would have woken it is missed.
@Suite(.serialized) struct FailedRetryTests {
    static let scenario = """
        pods:
          - name: lone
            labels: {app: lone}
            containers:
              - name: c
                ports: [{name: web, containerPort: 7000, behaviour: http}]
        """

    @Test func aFailedForwardIsRequeuedWithBackoffCappedAtThirtySeconds() async throws {
        try await withTemporaryDirectory { dir in
            let cluster = try await FakeKubeProcess.start(scenario: Self.scenario, in: dir)
            defer { cluster.stop() }
            let manifest = dir + "/forwards.yaml"
            try """
                apiVersion: berth/v1
                kind: Forwards
                forwards:
                  - name: ghost
                    pod: ghost
                    hold: 1s
                    ports: [{local: 0, remote: 7000}]
                """.write(toFile: manifest, atomically: true, encoding: .utf8)
            let clock = ManualClock()
            let daemon = Daemon(configuration: DaemonConfiguration(
                source: .files(manifests: [manifest], envFiles: []), kubeconfig: cluster.kubeconfig, environment: [:],
                logger: quietLogger, clock: clock, watchNetwork: false))
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await daemon.run() }
                defer { daemon.stop() }
                try await withTimeout(20, "ghost waiting for its hold") {
                    for await status in daemon.statusChanges() where status.forwards.first?.reason == "NotFound" { return }
                }
                // The hold runs out: Failed.
                clock.advance(by: .seconds(1))
                try await withTimeout(5, "ghost Failed") {
                    for await status in daemon.statusChanges() where status.forwards.first?.phase == .failed { return }
                }
                // No event will come (the pod never appears); the retries double from 1 s and stop growing at 30 s.
                for seconds in [1, 2, 4, 8, 16, 30, 30] {
                    let due = clock.now.advanced(by: .seconds(seconds))
                    // The queue's timer is the only sleeper this early; the periodic resync is 5 minutes out.
                    try await eventually("a retry \(seconds) s after the last look", within: 5) { clock.nextDeadline == due }
                    clock.advance(to: due)
                }
                let last = await daemon.status().forwards.first
                #expect(last?.phase == .failed && last?.reason == "NotFound", "still Failed: \(String(describing: last))")
            }
        }
    }
}
