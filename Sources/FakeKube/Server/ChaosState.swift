import Foundation
import NIOCore
import Synchronization

/// The delays chaos adds: a stall (every answer waits until a moment), a fixed latency before answers,
/// and a round trip added to every byte of every API connection; and the padding that makes answers' headers huge.
final class ChaosState: Sendable {
    private struct State {
        var stallUntil: ContinuousClock.Instant?
        var latency: Duration = .zero
        var roundTrip: Duration = .zero
        var headerPadding = 0
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

    /// Adds `roundTrip` to every exchange on every API connection: half of it to each direction.
    func setRoundTrip(_ roundTrip: Duration) {
        state.withLock { $0.roundTrip = roundTrip }
    }

    /// Pads every API answer with an `X-Padding` header of `bytes` bytes (0 removes it): oversized headers.
    func setHeaderPadding(bytes: Int) {
        state.withLock { $0.headerPadding = max(0, bytes) }
    }

    /// The size of the padding header API answers carry now (0: none).
    func headerPadding() -> Int {
        state.withLock { $0.headerPadding }
    }

    /// How long a byte of an API connection is held in each direction.
    func oneWayDelay() -> TimeAmount {
        TimeAmount(state.withLock { $0.roundTrip } / 2)
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
