import Synchronization

/// A generation counter that tests await instead of sleeping: anything that makes progress bumps it, and a
/// test waits for "anything after generation N" before re-checking its condition.
public final class ProgressSignal: Sendable {
    private struct State {
        var generation = 0
        var waiters: [(Int, CheckedContinuation<Void, Never>)] = []
    }

    private let state = Mutex(State())

    /// A signal at generation zero.
    public init() {}

    /// The number of bumps so far.
    public var generation: Int { state.withLock { $0.generation } }

    /// Records progress and wakes every waiter.
    public func bump() {
        let waiters = state.withLock { state in
            state.generation += 1
            defer { state.waiters = [] }
            return state.waiters.map(\.1)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns once the generation exceeds `generation` (at once if it already does).
    public func wait(beyond generation: Int) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = state.withLock { state -> Bool in
                if state.generation > generation { return true }
                state.waiters.append((generation, continuation))
                return false
            }
            if now { continuation.resume() }
        }
    }
}
