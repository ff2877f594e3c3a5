import Synchronization

/// A clock that moves only when a test says so, for deterministic tests of timers, backoff and settling.
///
/// Sleepers registered with ``sleep(until:tolerance:)`` wake when ``advance(by:)`` moves `now` past their
/// deadline. ``waitForSleepers(atLeast:)`` lets a test wait for the code under test to reach its sleep
/// (an event, not a guess) before it advances time; `onSleep` tells a test of every sleep as it starts.
public final class ManualClock: Clock, Sendable {
    /// A point in manual time: an offset from the clock's start.
    public struct Instant: InstantProtocol, Hashable, CustomStringConvertible {
        /// Time since the clock's start.
        public var offset: Duration

        /// Creates an instant `offset` after the clock's start.
        public init(offset: Duration) { self.offset = offset }

        /// See `InstantProtocol`.
        public func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }
        /// See `InstantProtocol`.
        public func duration(to other: Instant) -> Duration { other.offset - offset }
        /// See `Comparable`.
        public static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.offset < rhs.offset }
        /// The offset, for readable test failures.
        public var description: String { "t+\(offset)" }
    }

    private struct Sleeper {
        let id: UInt64
        let deadline: Instant
        let continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var now = Instant(offset: .zero)
        var sleepers: [Sleeper] = []
        /// Tests waiting for the sleepers to reach some condition.
        var watchers: [(condition: @Sendable ([Sleeper]) -> Bool, continuation: CheckedContinuation<Void, Never>)] = []
        var nextID: UInt64 = 0
        /// What each sleep cancelled before its deadline still had to run.
        var cancelledRemainders: [Duration] = []

        mutating func takeSatisfiedWatchers() -> [CheckedContinuation<Void, Never>] {
            let sleepers = self.sleepers
            let ready = watchers.filter { $0.condition(sleepers) }.map(\.continuation)
            watchers.removeAll { $0.condition(sleepers) }
            return ready
        }
    }

    private let state = Mutex(State())
    private let onSleep: @Sendable (Duration) -> Void

    /// Creates a clock at offset zero with no sleepers; `onSleep` is told the length of every sleep that starts.
    public init(onSleep: @escaping @Sendable (Duration) -> Void = { _ in }) {
        self.onSleep = onSleep
    }

    /// The current manual time.
    public var now: Instant { state.withLock { $0.now } }

    /// Manual time has no granularity.
    public var minimumResolution: Duration { .zero }

    /// The number of tasks currently sleeping on this clock.
    public var sleeperCount: Int { state.withLock { $0.sleepers.count } }

    /// How long each sleep cancelled before its deadline still had to run, in the order they were cancelled.
    /// The Swift runtime keeps a cancelled `Task.sleep` (its task and timer) until that deadline
    /// (swiftlang/swift#60441), so code that cancels long sleeps often holds memory for them meanwhile.
    public var cancelledSleepRemainders: [Duration] { state.withLock { $0.cancelledRemainders } }

    /// The earliest deadline among current sleepers.
    public var nextDeadline: Instant? { state.withLock { $0.sleepers.map(\.deadline).min() } }

    /// Suspends until manual time reaches `deadline`; throws `CancellationError` if cancelled first.
    public func sleep(until deadline: Instant, tolerance: Duration? = nil) async throws {
        let id = state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let (outcome, length, countWaiters) = state.withLock {
                    state -> (Result<Void, any Error>?, Duration?, [CheckedContinuation<Void, Never>]) in
                    if Task.isCancelled { return (.failure(CancellationError()), nil, []) }
                    if deadline <= state.now { return (.success(()), nil, []) }
                    state.sleepers.append(Sleeper(id: id, deadline: deadline, continuation: continuation))
                    return (nil, state.now.duration(to: deadline), state.takeSatisfiedWatchers())
                }
                if let length { onSleep(length) }
                for waiter in countWaiters { waiter.resume() }
                if let outcome { continuation.resume(with: outcome) }
            }
        } onCancel: {
            let sleeper = state.withLock { state -> Sleeper? in
                guard let index = state.sleepers.firstIndex(where: { $0.id == id }) else { return nil }
                let sleeper = state.sleepers.remove(at: index)
                state.cancelledRemainders.append(state.now.duration(to: sleeper.deadline))
                return sleeper
            }
            sleeper?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Moves time forward by `duration` and wakes every sleeper whose deadline has been reached.
    public func advance(by duration: Duration) {
        let target = state.withLock { $0.now.advanced(by: duration) }
        advance(to: target)
    }

    /// Moves time forward to `instant` (never backward) and wakes every sleeper due by then.
    public func advance(to instant: Instant) {
        let due = state.withLock { state -> [Sleeper] in
            state.now = max(state.now, instant)
            let now = state.now
            let due = state.sleepers.filter { $0.deadline <= now }.sorted { $0.deadline < $1.deadline }
            state.sleepers.removeAll { $0.deadline <= now }
            return due
        }
        for sleeper in due { sleeper.continuation.resume() }
    }

    /// Moves time to the earliest sleeper's deadline and wakes it; returns that deadline, or `nil` if none sleeps.
    @discardableResult
    public func advanceToNextDeadline() -> Instant? {
        guard let deadline = nextDeadline else { return nil }
        advance(to: deadline)
        return deadline
    }

    /// Returns once at least `count` tasks sleep on this clock.
    public func waitForSleepers(atLeast count: Int) async {
        await waitForSleepers { $0.count >= count }
    }

    /// Returns once some task sleeps with a deadline at or before `deadline`; useful when the code under
    /// test replaces one sleep by an earlier one.
    public func waitForSleeper(dueBy deadline: Instant) async {
        await waitForSleepers { sleepers in sleepers.contains { $0.deadline <= deadline } }
    }

    /// Returns once some task sleeps with a deadline at or after `deadline`: a long timer, whatever shorter ones
    /// already sleep.
    public func waitForSleeper(dueAtOrAfter deadline: Instant) async {
        await waitForSleepers { sleepers in sleepers.contains { $0.deadline >= deadline } }
    }

    private func waitForSleepers(where condition: @escaping @Sendable ([Sleeper]) -> Bool) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let ready = state.withLock { state -> Bool in
                if condition(state.sleepers) { return true }
                state.watchers.append((condition, continuation))
                return false
            }
            if ready { continuation.resume() }
        }
    }
}
