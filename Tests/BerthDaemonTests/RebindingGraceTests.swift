import BerthDaemon
import BerthTestSupport
import Foundation
import Synchronization
import Testing

/// A forward whose streams to a Ready pod fail is `Rebinding` for 3 s (the pod may be on its way out and the
/// watch not have said so yet), then `Failed` (docs/data-plane.md, "Connection rules"), on the daemon's clock.
@Suite(.serialized) struct RebindingGraceTests {
    @Test func streamsFailingToAReadyPodAreRebindingForThreeSecondsThenFailed() async throws {
        // The pod is Ready and stays so; nothing listens on 7001 in it, so the kubelet reports every dial refused.
        let manifest = oneForwardManifest("name: closed", "pod: lone", "hold: 1s", "ports: [{local: 0, remote: 7001}]")
        try await withManualClockDaemon(scenario: FailedRetryTests.scenario, manifest: manifest) { daemon, clock, _ in
            // Every phase the forward shows, with the daemon's time when it was seen.
            let seen = Mutex<[(phase: ForwardPhase, at: ManualClock.Instant)]>([])
            let changes = daemon.statusChanges()
            let collector = Task {
                for await status in changes {
                    guard let phase = status.forwards.first?.phase else { continue }
                    seen.withLock { if $0.last?.phase != phase { $0.append((phase, clock.now)) } }
                }
            }
            defer { collector.cancel() }
            try await eventually("the refused streams make the forward Rebinding") {
                seen.withLock { $0.contains { $0.phase == .rebinding } }
            }
            let start = clock.now
            let rebinding = await daemon.status().forwards.first
            #expect(rebinding?.reason == .portForwardFailed)
            #expect(rebinding?.message?.contains("connection refused") == true, "\(String(describing: rebinding?.message))")

            // Just short of the grace: still Rebinding, never Failed.
            clock.advance(to: start.advanced(by: .milliseconds(2900)))
            // The reconciler's look again at 3 s (without one, the checks below say what went wrong).
            try? await eventually("a look again scheduled by the end of the grace", within: 5) {
                clock.nextDeadline.map { $0 <= start.advanced(by: .seconds(3)) } ?? false
            }
            #expect(await daemon.status().forwards.first?.phase == .rebinding)
            #expect(!seen.withLock { $0.contains { $0.phase == .failed } }, "\(seen.withLock { $0 })")

            // The grace runs out: Failed, for a person to look at, with the kubelet's words.
            clock.advance(to: start.advanced(by: .seconds(3)))
            try await eventually("Failed once the grace is over") { await daemon.status().forwards.first?.phase == .failed }
            let failedAt = try #require(seen.withLock { $0.first { $0.phase == .failed }?.at })
            #expect(failedAt >= start.advanced(by: .seconds(3)), "Failed before the grace ran out: \(seen.withLock { $0 })")
            #expect(await daemon.status().forwards.first?.message?.contains("connection refused") == true)
        }
    }
}
