/// Runs a ``Reconciler`` over a ``WorkQueue`` with a fixed number of workers, controller-runtime style.
///
/// Result policy: `.done` forgets the key's failures; `.error` and `.requeue` add it rate-limited;
/// `.requeueAfter` forgets the failures and parks the key for the given delay. A periodic resync adds every
/// key that `resyncKeys` returns, catching anything an event missed.
public struct Controller<R: Reconciler>: Sendable {
    /// How many workers run and how often the full resync happens.
    public struct Configuration: Sendable {
        /// Parallel reconciles (of different keys; one key is never reconciled twice at once).
        public var workers: Int
        /// Interval of the full resync; `nil` disables it.
        public var resyncInterval: Duration?

        /// Creates a configuration; `workers` is at least 1.
        public init(workers: Int = 4, resyncInterval: Duration? = .seconds(300)) {
            self.workers = max(1, workers)
            self.resyncInterval = resyncInterval
        }
    }

    /// The queue the workers drain; event handlers add keys to it.
    public let queue: WorkQueue<R.Key>
    private let reconciler: R
    private let configuration: Configuration
    private let clock: ElapsedClock
    private let resyncKeys: @Sendable () async -> [R.Key]
    private let onError: @Sendable (R.Key, any Error) -> Void

    /// Creates a controller.
    /// - Parameters:
    ///   - reconciler: converges one key at a time.
    ///   - queue: the queue to drain; share it with whatever enqueues keys.
    ///   - configuration: workers and resync interval.
    ///   - clock: times the resync; tests pass a manual clock (normally the queue's).
    ///   - resyncKeys: every key that should exist now; called on each resync.
    ///   - onError: told about every `.error` result, for logging and status.
    public init(
        reconciler: R,
        queue: WorkQueue<R.Key>,
        configuration: Configuration = Configuration(),
        clock: any Clock<Duration> = ContinuousClock(),
        resyncKeys: @escaping @Sendable () async -> [R.Key],
        onError: @escaping @Sendable (R.Key, any Error) -> Void = { _, _ in }
    ) {
        self.reconciler = reconciler
        self.queue = queue
        self.configuration = configuration
        self.clock = ElapsedClock(clock)
        self.resyncKeys = resyncKeys
        self.onError = onError
    }

    /// Runs the workers, the delay loop and the resync until the queue is shut down and drained, or the
    /// calling task is cancelled (in-flight reconciles see the cancellation and no new key is started).
    public func run() async {
        await withDiscardingTaskGroup { background in
            background.addTask { await queue.runDelayLoop() }
            if let interval = configuration.resyncInterval {
                background.addTask { await resyncLoop(every: interval) }
            }
            await withDiscardingTaskGroup { workers in
                for _ in 0..<configuration.workers {
                    workers.addTask { await workerLoop() }
                }
            }
            // Workers only stop on shutdown or cancellation; the background loops must not outlive them.
            background.cancelAll()
        }
    }

    private func workerLoop() async {
        while let key = await queue.get() {
            let result = await reconciler.reconcile(key)
            apply(result, to: key)
            queue.done(key)
        }
    }

    private func apply(_ result: ReconcileResult, to key: R.Key) {
        switch result {
        case .done:
            queue.forget(key)
        case .requeue:
            queue.addRateLimited(key)
        case .requeueAfter(let delay):
            queue.forget(key)
            queue.addAfter(key, delay: delay)
        case .error(let error):
            onError(key, error)
            queue.addRateLimited(key)
        }
    }

    private func resyncLoop(every interval: Duration) async {
        // Deadlines advance from the start, so a slow resync does not make the period drift.
        var deadline = clock.now() + interval
        while !queue.isShuttingDown {
            do {
                try await clock.sleepUntil(deadline)
            } catch {
                return
            }
            for key in await resyncKeys() { queue.add(key) }
            deadline += interval
        }
    }
}
