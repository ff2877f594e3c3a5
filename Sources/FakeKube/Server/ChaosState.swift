import Foundation
import Synchronization

/// The delays chaos adds to answers: a stall (every answer waits until a moment) and a fixed latency.
final class ChaosState: Sendable {
    private struct State {
        var stallUntil: ContinuousClock.Instant?
        var latency: Duration = .zero
    }

    private let state = Mutex(State())
    private let clock = ContinuousClock()

    /// Holds every answer for `seconds` from now.
    func stall(seconds: Double) {
        let until = clock.now.advanced(by: .milliseconds(Int64(seconds * 1000)))
        state.withLock { $0.stallUntil = until }
    }

    /// Adds `latency` before every answer (zero removes it).
    func setLatency(_ latency: Duration) {
        state.withLock { $0.latency = latency }
    }

    /// How long the answer to a request arriving now must wait.
    func delay() -> Duration {
        let now = clock.now
        return state.withLock { state in
            var delay = state.latency
            if let until = state.stallUntil, until > now { delay += now.duration(to: until) }
            return delay
        }
    }
}
