import Synchronization

/// A task that did not end in time; its description names it.
public struct TaskEndTimeout: Error, CustomStringConvertible {
    /// What did not end, and how long the test waited.
    public let description: String
}

/// Waits for `task` to end, at most `seconds`: a daemon or loop that does not stop fails its test instead of
/// holding the suite until CI kills it. On time-out the task is cancelled and left behind.
///
/// `await task.value` cannot be bounded by a task group: cancelling the waiter does not end the wait, and
/// the group would wait for its child anyway. Here the first of the task's end and the deadline resumes
/// the caller; the other is dropped.
/// - Throws: ``TaskEndTimeout`` when the time is up, else what the task threw.
@discardableResult
public func awaitEnd<T: Sendable, Failure: Error>(
    of task: Task<T, Failure>, within seconds: Double = 20, _ what: String
) async throws -> T {
    let race = Race<T>()
    return try await withCheckedThrowingContinuation { continuation in
        race.start(continuation)
        let timer = Task {
            try? await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
            guard !Task.isCancelled else { return }
            if race.finish(.failure(TaskEndTimeout(description: "\(what) did not end within \(seconds) s"))) { task.cancel() }
        }
        Task {
            race.finish(await task.result.mapError { $0 as any Error })
            timer.cancel()
        }
    }
}

/// Resumes one continuation exactly once, with whichever outcome comes first.
private final class Race<T: Sendable>: Sendable {
    private let waiter = Mutex<CheckedContinuation<T, any Error>?>(nil)

    func start(_ continuation: CheckedContinuation<T, any Error>) {
        waiter.withLock { $0 = continuation }
    }

    /// Returns whether this outcome was the first.
    @discardableResult
    func finish(_ outcome: Result<T, any Error>) -> Bool {
        guard let continuation = waiter.withLock({ state in defer { state = nil }; return state }) else { return false }
        continuation.resume(with: outcome)
        return true
    }
}
