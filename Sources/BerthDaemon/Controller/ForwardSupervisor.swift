import Logging

/// Runs every `Forward` as a child task of its own `run()` (STYLE habit 2: no unstructured tasks to cancel later).
///
/// `start` hands a forward to the running task group; the returned handle stops that forward alone and
/// waits until its listener is closed, so its port can be bound again at once.
public final class ForwardSupervisor: Sendable {
    /// Stops one supervised forward.
    public struct Handle: Sendable {
        let stopRequest: OneShotSignal
        let stopped: OneShotSignal

        /// Cancels the forward's `run()` (listener, connections and warm streams close) and waits for it to end.
        public func stop() async {
            stopRequest.fire()
            await stopped.wait()
        }
    }

    private typealias Job = @Sendable () async -> Void
    private let jobs: AsyncStream<Job>.Continuation
    private let jobStream: AsyncStream<Job>
    private let logger: Logger

    /// Creates a supervisor; forwards run once `run()` does.
    public init(logger: Logger) {
        let (stream, continuation) = AsyncStream.makeStream(of: Job.self)
        jobStream = stream
        jobs = continuation
        self.logger = logger
    }

    /// Starts serving `forward` inside `run()`. After `finish()` the forward is stopped at once.
    public func start(_ forward: Forward) async -> Handle {
        let handle = Handle(stopRequest: OneShotSignal(), stopped: OneShotSignal())
        let logger = logger
        let job: Job = {
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    do {
                        try await forward.run()
                    } catch {
                        logger.error("forward ended", metadata: ["forward": "\(forward.configuration.name)", "error": "\(error)"])
                    }
                }
                group.addTask { await handle.stopRequest.wait() }
                _ = await group.next()
                group.cancelAll()
                // A forward that ended on its own leaves the stop waiter to be released here.
                handle.stopRequest.fire()
            }
            handle.stopped.fire()
        }
        if case .terminated = jobs.yield(job) {
            handle.stopRequest.fire()
            await forward.listener.close()
            handle.stopped.fire()
        }
        return handle
    }

    /// Hosts the forwards until `finish()` is called or the task is cancelled; then stops them all.
    public func run() async {
        await withDiscardingTaskGroup { group in
            for await job in jobStream {
                group.addTask { await job() }
            }
            group.cancelAll()
        }
    }

    /// Ends `run()`: no new forward starts, the running ones are cancelled.
    public func finish() {
        jobs.finish()
    }
}
