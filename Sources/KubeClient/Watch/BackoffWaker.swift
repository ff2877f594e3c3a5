import Synchronization

/// Ends a reflector's backoff early: `Informer.retryNow()` after the network settled or the API server answers
/// again, so a watch that failed while the server was away does not wait out a backoff that grew meanwhile (up to
/// a jittered 30 s), and keeps its store while it lists again.
///
/// A wake that comes before the reflector starts sleeping (its status said `backingOff` a moment earlier) is kept
/// for that sleep; the reflector clears it once the backoff is over, so a late wake cannot shorten the next one.
final class BackoffWaker: Sendable {
    private struct State {
        var pending = false
        var sleepers: [Int: CheckedContinuation<Void, Never>] = [:]
        var cancelled: Set<Int> = []
        var nextID = 0
    }

    private let state = Mutex(State())

    /// Ends the current backoff sleep, or the next one if none is running.
    func wake() {
        let sleepers = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.pending = true
            defer { state.sleepers = [:] }
            return Array(state.sleepers.values)
        }
        for sleeper in sleepers { sleeper.resume() }
    }

    /// Forgets a wake that came after the backoff it was meant for.
    func clear() {
        state.withLock { $0.pending = false }
    }

    /// Sleeps until `deadline` on `clock`, or until `wake()`; true when woken.
    /// - Throws: `CancellationError` when the task is cancelled.
    func sleep<C: Clock<Duration>>(until deadline: C.Instant, clock: C) async throws -> Bool {
        if state.withLock({ $0.pending }) { return true }
        return try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                try await clock.sleep(until: deadline, tolerance: nil)
                return false
            }
            group.addTask {
                await self.waitForWake()
                return !Task.isCancelled
            }
            defer { group.cancelAll() }
            let woken = try await group.next() ?? false
            // Cancelled, the wait for a wake may end before the clock's sleep throws: end the same way either way.
            try Task.checkCancellation()
            return woken
        }
    }

    private func waitForWake() async {
        let id = state.withLock { state -> Int in
            state.nextID += 1
            return state.nextID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = state.withLock { state -> Bool in
                    if state.pending || state.cancelled.remove(id) != nil { return true }
                    state.sleepers[id] = continuation
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            let sleeper = state.withLock { state -> CheckedContinuation<Void, Never>? in
                if let sleeper = state.sleepers.removeValue(forKey: id) { return sleeper }
                state.cancelled.insert(id)
                return nil
            }
            sleeper?.resume()
        }
    }
}
