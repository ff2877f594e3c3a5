import Synchronization

/// A coalescing, single-waiter wake-up: any number of `signal()` calls before the next `wait()` count as one.
///
/// Loops that sleep until "something changed or a deadline passed" (the queue's delay loop, the daemon's
/// settle loop) use it instead of an unbounded event buffer: they re-read their state after every wake-up,
/// so only the fact that something changed matters, never how often.
public final class AsyncWakeup: Sendable {
    private struct State {
        var pending = false
        var waiter: (id: UInt64, continuation: CheckedContinuation<Void, Never>)?
        var nextID: UInt64 = 0
    }

    private let state = Mutex(State())

    /// Creates a wake-up with no pending signal.
    public init() {}

    /// Wakes the current waiter, or the next one if nobody waits right now.
    public func signal() {
        let continuation = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter.continuation
            }
            state.pending = true
            return nil
        }
        continuation?.resume()
    }

    /// Returns once signalled (consuming the signal) or once the calling task is cancelled.
    public func wait() async {
        let id = state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    if state.pending {
                        state.pending = false
                        return true
                    }
                    // Checked under the lock: the cancellation handler takes the same lock, so either it
                    // already ran (and the flag is set) or it will find this waiter.
                    if Task.isCancelled { return true }
                    precondition(state.waiter == nil, "AsyncWakeup supports one waiter at a time")
                    state.waiter = (id, continuation)
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let continuation = state.withLock { state -> CheckedContinuation<Void, Never>? in
                guard let waiter = state.waiter, waiter.id == id else { return nil }
                state.waiter = nil
                return waiter.continuation
            }
            continuation?.resume()
        }
    }

    /// Waits for a signal or for `sleep` to return, whichever comes first.
    ///
    /// - Returns: `true` when a signal was consumed. Callers re-read their state either way, so a signal
    ///   and a deadline arriving together are reported as a signal and never lost.
    @discardableResult
    public func wait(orUntil sleep: @escaping @Sendable () async throws -> Void) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                try? await sleep()
                return false
            }
            group.addTask {
                await self.wait()
                return !Task.isCancelled
            }
            _ = await group.next()
            group.cancelAll()
            var signalled = false
            // The loser may still have consumed a signal before it saw the cancellation.
            for await result in group where result { signalled = true }
            return signalled
        }
    }

    /// Waits for a signal or until `deadline` on `clock`, whichever comes first.
    @discardableResult
    public func wait<C: Clock>(until deadline: C.Instant, clock: C) async -> Bool {
        await wait(orUntil: { try await clock.sleep(until: deadline, tolerance: nil) })
    }
}
