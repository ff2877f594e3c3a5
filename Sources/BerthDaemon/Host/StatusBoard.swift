import Synchronization

/// The host's view of status over time: a generation number bumped on every change, the last probe results,
/// and the long-poll waiters of `berth status --watch`.
final class StatusBoard: Sendable {
    private struct State {
        var generation: UInt64 = 0
        var probes: [String: ProbeResult] = [:]
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
        var nextWaiter: UInt64 = 0
        var finished = false
    }

    private let state = Mutex(State())

    /// The current generation.
    var generation: UInt64 { state.withLock { $0.generation } }

    /// Probe results by forward name.
    var probes: [String: ProbeResult] { state.withLock { $0.probes } }

    /// Records a change and wakes every waiter.
    func bump() {
        let waiters = state.withLock { state in
            state.generation += 1
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Records probe results (a change in itself).
    func record(probes results: [String: ProbeResult]) {
        state.withLock { state in
            for (name, result) in results { state.probes[name] = result }
        }
        bump()
    }

    /// Returns once the generation is past `generation`, the board is finished, or the task is cancelled.
    func wait(past generation: UInt64) async {
        let id = state.withLock { state in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = state.withLock { state -> Bool in
                    if state.generation > generation || state.finished || Task.isCancelled { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
        }
    }

    /// Wakes every waiter for good (the daemon stopped).
    func finish() {
        let waiters = state.withLock { state in
            state.finished = true
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }
}
