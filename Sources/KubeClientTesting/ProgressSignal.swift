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

/// What a polling step of `ProgressSignal.until` concluded.
public enum ProgressCheck: Sendable {
    /// The awaited condition holds.
    case done
    /// The step made progress itself (e.g. advanced a manual clock): check again at once.
    case again
    /// Nothing to do but wait for the next bump.
    case wait
}

/// `ProgressSignal.until` gave up: the condition did not hold within the limit.
public struct ProgressTimeout: Error, CustomStringConvertible {
    /// The limit that passed.
    public var limit: Duration
    /// What was awaited.
    public var waitingFor: String

    /// "gave up after …".
    public var description: String { "gave up after \(limit) waiting for \(waitingFor)" }
}

extension ProgressSignal {
    /// Re-runs `check` after every bump until it says `.done`. A real-time guard (not a synchronisation
    /// device) turns a condition that never comes true into a `ProgressTimeout` instead of a hung test.
    public func until(
        _ waitingFor: @autoclosure () -> String = "a condition", within limit: Duration = .seconds(10),
        _ check: () -> ProgressCheck
    ) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await Task.sleep(for: limit)
                self.bump()  // wake the loop so it sees the deadline
            }
            defer { group.cancelAll() }
            let deadline = ContinuousClock.now.advanced(by: limit)
            while true {
                let generation = self.generation
                switch check() {
                case .done: return
                case .again: continue
                case .wait: break
                }
                if ContinuousClock.now >= deadline || Task.isCancelled {
                    throw ProgressTimeout(limit: limit, waitingFor: waitingFor())
                }
                await wait(beyond: generation)
            }
        }
    }
}
