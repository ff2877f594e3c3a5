import BerthDaemon
import BerthTestSupport
import Foundation
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
        let manifest = oneForwardManifest("name: ghost", "pod: ghost", "hold: 1s", "ports: [{local: 0, remote: 7000}]")
        try await withManualClockDaemon(scenario: Self.scenario, manifest: manifest) { daemon, clock, _ in
            try await withTimeout(20, "ghost waiting for its hold") {
                for await status in daemon.statusChanges() where status.forwards.first?.reason == .notFound { return }
            }
            // The hold runs out: Failed.
            clock.advance(by: .seconds(1))
            try await withTimeout(5, "ghost Failed") {
                for await status in daemon.statusChanges() where status.forwards.first?.phase == .failed { return }
            }
            // No event brings the pod back (it never appears): only the retries look at ghost again. Each comes
            // within 30 s; they start at 1 s and double (an informer event in between counts as a look, and
            // only hastens the doubling) until they stop growing at 30 s.
            var gaps: [Duration] = []
            for _ in 0..<8 {
                let start = clock.now
                try await eventually("a retry within 30 s of the last look", within: 5) {
                    clock.nextDeadline.map { $0 <= start.advanced(by: .seconds(30)) } ?? false
                }
                let due = try #require(clock.nextDeadline)
                gaps.append(start.duration(to: due))
                clock.advance(to: due)
            }
            // The first retry comes after a second, or after two when an informer event (the watches settling, in
            // real time beside the manual clock) made one more look between the hold's end and the first retry.
            #expect(gaps.first == .seconds(1) || gaps.first == .seconds(2), "the first retry after a second: \(gaps)")
            #expect(zip(gaps, gaps.dropFirst()).allSatisfy { $0 <= $1 }, "retries never come sooner: \(gaps)")
            #expect(gaps.last == .seconds(30), "capped at 30 s: \(gaps)")
            let last = await daemon.status().forwards.first
            #expect(last?.phase == .failed && last?.reason == .notFound, "still Failed: \(String(describing: last))")
        }
    }
}
