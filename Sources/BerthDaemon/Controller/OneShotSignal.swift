import Synchronization

/// A flag that is raised once and can be awaited by any number of tasks.
final class OneShotSignal: Sendable {
    private struct State {
        var fired = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    /// Raises the flag and wakes every waiter; later calls do nothing.
    func fire() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            guard !state.fired else { return [] }
            state.fired = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Whether `fire()` was called.
    var isFired: Bool { state.withLock { $0.fired } }

    /// Returns once the flag is raised. Not cancellable on purpose: callers pair it with a task group
    /// whose other child ends the wait by firing.
    func wait() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = state.withLock { state -> Bool in
                if state.fired { return true }
                state.waiters.append(continuation)
                return false
            }
            if now { continuation.resume() }
        }
    }
}
