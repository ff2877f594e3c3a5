import Synchronization
import Testing

@testable import BerthDaemon

/// Waking from sleep is a network change: the daemon notices the wall clock ran ahead of the monotonic clock
/// and resyncs once, after the settle window, counted in `resyncs`.
@Suite(.timeLimit(.minutes(1)))
struct SleepWakeEndToEndTests {
    /// The real clocks, with a wall clock that can be moved ahead as a suspend would.
    final class SimulatedSuspend: Sendable {
        private let slept = Mutex(Duration.zero)

        /// The wall clock jumps `duration` ahead of the monotonic clock.
        func suspend(for duration: Duration) { slept.withLock { $0 += duration } }

        func sample() -> WakeDetector.Sample {
            var sample = WakeDetector.Sample.now()
            sample.wall += slept.withLock { $0 }
            return sample
        }
    }

    @Test func aSimulatedSuspendLeadsToOneSettledResync() async throws {
        try await Harness.with { harness in
            try harness.writeManifest("""
                apiVersion: berth/v1
                kind: Forwards
                forwards:
                  - name: lone
                    selector: {app: lone}
                    ports: [{local: 0, remote: 7000}]
                """)
            let clocks = SimulatedSuspend()
            try await harness.withDaemon(wakeSample: { clocks.sample() }) { daemon in
                let ready = try await awaitStatus(daemon, "lone Ready") { $0.isPhase("lone", .ready) }
                let before = ready.resyncs
                clocks.suspend(for: .seconds(600))
                let woke = ContinuousClock.now
                let resynced = try await awaitStatus(daemon, within: 30, "a resync after the simulated wake") { $0.resyncs > before }
                #expect(ContinuousClock.now - woke >= .seconds(2), "the resync waits for the settle window")
                #expect(resynced.resyncs == before + 1)
                #expect(resynced.isPhase("lone", .ready))
                let response = try await TestHTTP.get(port: try #require(resynced.port("lone")))
                #expect(response.contains("lone"))
            }
        }
    }
}
