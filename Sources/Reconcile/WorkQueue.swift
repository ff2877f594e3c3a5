import Synchronization

/// A deduplicating work queue of keys, in the style of client-go's workqueue.
///
/// - A key is queued at most once, however often it is added.
/// - A key handed out by ``get()`` is never handed out again until ``done(_:)``; if it was added meanwhile,
///   it is queued again on `done`, so no change is lost and no key is worked on twice at once.
/// - ``addAfter(_:delay:)`` and ``addRateLimited(_:)`` park keys until their deadline; ``runDelayLoop()``
///   must run (the ``Controller`` runs it) for parked keys to become ready.
/// - After ``shutDown()`` adds are ignored, queued keys are still handed out, and ``get()`` returns `nil`
///   once the queue is empty.
public final class WorkQueue<Key: Hashable & Sendable>: Sendable {
    /// The per-key backoff used by ``addRateLimited(_:)``.
    public let backoff: ExponentialBackoff

    private let clock: ElapsedClock
    private let state = Mutex(QueueState<Key>())
    private let delayWakeup = AsyncWakeup()

    /// Creates an empty queue.
    /// - Parameters:
    ///   - backoff: delays for ``addRateLimited(_:)``.
    ///   - clock: the time source for delayed adds; tests pass a manual clock.
    public init(backoff: ExponentialBackoff = ExponentialBackoff(), clock: any Clock<Duration> = ContinuousClock()) {
        self.backoff = backoff
        self.clock = ElapsedClock(clock)
    }

    /// Queues `key` unless it is already queued; a key being processed is queued again on `done`.
    public func add(_ key: Key) {
        let handOff = state.withLock { state in state.shuttingDown ? nil : state.add(key) }
        handOff?.resume()
    }

    /// Queues `key` once `delay` has passed; a key already parked keeps the earlier of the two deadlines.
    public func addAfter(_ key: Key, delay: Duration) {
        guard delay > .zero else { return add(key) }
        let deadline = clock.now() + delay
        let parked = state.withLock { state -> Bool in
            guard !state.shuttingDown else { return false }
            if let existing = state.parked[key], existing <= deadline { return false }
            state.parked[key] = deadline
            return true
        }
        if parked { delayWakeup.signal() }
    }

    /// Queues `key` after its backoff delay, and counts one more consecutive failure for it.
    public func addRateLimited(_ key: Key) {
        let failures = state.withLock { state in
            let failures = state.failures[key, default: 0]
            state.failures[key] = failures + 1
            return failures
        }
        addAfter(key, delay: backoff.delay(afterFailures: failures))
    }

    /// Clears `key`'s failure history so its next rate-limited add starts from the base delay again.
    public func forget(_ key: Key) {
        _ = state.withLock { $0.failures.removeValue(forKey: key) }
    }

    /// How many consecutive rate-limited adds `key` has had since it was last forgotten.
    public func numRequeues(_ key: Key) -> Int {
        state.withLock { $0.failures[key, default: 0] }
    }

    /// The number of keys ready to be handed out (not counting keys in progress or parked).
    public var count: Int {
        state.withLock { $0.queue.count }
    }

    /// Whether ``shutDown()`` has been called.
    public var isShuttingDown: Bool {
        state.withLock { $0.shuttingDown }
    }

    /// Waits for the next key and marks it as in progress; call ``done(_:)`` when finished with it.
    ///
    /// - Returns: `nil` once the queue is shut down and empty, or when the calling task is cancelled.
    public func get() async -> Key? {
        let id = state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Key?, Never>) in
                let immediate = state.withLock { state -> Key?? in
                    if Task.isCancelled { return .some(nil) }
                    if let key = state.popReady() { return .some(key) }
                    if state.shuttingDown { return .some(nil) }
                    state.getters.append(QueueState<Key>.Getter(id: id, continuation: continuation))
                    return .none
                }
                if let result = immediate { continuation.resume(returning: result) }
            }
        } onCancel: {
            let continuation = state.withLock { state -> CheckedContinuation<Key?, Never>? in
                guard let index = state.getters.firstIndex(where: { $0.id == id }) else { return nil }
                return state.getters.remove(at: index).continuation
            }
            continuation?.resume(returning: nil)
        }
    }

    /// Marks `key` as no longer in progress; if it was added meanwhile it is queued again now.
    public func done(_ key: Key) {
        let (handOff, drained) = state.withLock { state in
            state.processing.remove(key)
            var handOff: QueueState<Key>.HandOff?
            if state.dirty.contains(key) {
                // Re-added while in progress: it was left out of the queue on purpose; queue it now.
                state.dirty.remove(key)
                handOff = state.add(key)
            }
            return (handOff, state.takeDrainWaitersIfIdle())
        }
        handOff?.resume()
        for waiter in drained { waiter.resume() }
    }

    /// Stops accepting keys. Keys already queued are still handed out; waiting getters get `nil` once empty.
    public func shutDown() {
        let (getters, drained) = state.withLock { state in
            state.shuttingDown = true
            state.parked.removeAll()
            let getters = state.getters
            state.getters.removeAll()
            return (getters, state.takeDrainWaitersIfIdle())
        }
        // Getters only wait while the queue is empty, so all of them are done.
        for getter in getters { getter.continuation.resume(returning: nil) }
        for waiter in drained { waiter.resume() }
        delayWakeup.signal()
    }

    /// Shuts the queue down and returns once every queued key has been handed out and marked done.
    ///
    /// Workers must keep calling ``get()`` for this to return.
    public func shutDownWithDrain() async {
        shutDown()
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let idle = state.withLock { state -> Bool in
                if state.queue.isEmpty && state.processing.isEmpty { return true }
                state.drainWaiters.append(continuation)
                return false
            }
            if idle { continuation.resume() }
        }
    }

    /// Moves parked keys into the queue as their deadlines pass. Returns on shutdown or cancellation.
    public func runDelayLoop() async {
        while !Task.isCancelled {
            let now = clock.now()
            let step = state.withLock { state -> ([QueueState<Key>.HandOff], Duration?)? in
                state.shuttingDown ? nil : state.promoteParked(now: now)
            }
            guard let (handOffs, nextDeadline) = step else { return }
            for handOff in handOffs { handOff.resume() }
            if let nextDeadline {
                let clock = self.clock
                await delayWakeup.wait(orUntil: { try await clock.sleepUntil(nextDeadline) })
            } else {
                await delayWakeup.wait()
            }
        }
    }
}
