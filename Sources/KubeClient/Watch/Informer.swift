import KubeAPI
import Logging
import Synchronization

/// A reflector, its store, and the fan-out of its changes to any number of subscribers.
///
/// Its work happens inside `run()`, which the caller hosts in a structured parent (normally an
/// `InformerFactory`); `stop()` or cancelling that task ends it. Reading (`snapshot()`, `status`) never waits.
public final class Informer<Object: KubeResource>: Sendable {
    private struct State {
        var status: InformerStatus = .syncing
        var subscribers: [Int: SubscriberBuffer<Object>] = [:]
        var nextSubscriber = 0
        var syncWaiters: [Int: CheckedContinuation<Void, any Error>] = [:]
        var nextWaiter = 0
        var started = false
        var stopRequested = false
        var stopped = false
        var stopWaiter: CheckedContinuation<Void, Never>?
    }

    /// The store the reflector writes; read it through `snapshot()`.
    public let store: Store<Object>
    /// Unread events a subscriber may accumulate before they are replaced by `.resyncNeeded`.
    public let subscriberCapacity: Int
    private let waker: BackoffWaker
    private let reflect: @Sendable (@escaping @Sendable (ReflectorEvent<Object>) -> Void) async -> Void
    private let state = Mutex(State())

    /// An informer over `listerWatcher`, not yet running.
    /// - Parameters:
    ///   - clock: injected into the reflector (watch durations, backoff sleeps).
    ///   - random: seeds watch timeouts and backoff jitter.
    ///   - subscriberCapacity: see `InformerEvents`.
    public init<LW: ListerWatcher>(
        listerWatcher: LW, labelSelector: String? = nil, fieldSelector: String? = nil,
        clock: any Clock<Duration>, logger: Logger, random: SeededRandom = SeededRandom(),
        subscriberCapacity: Int = 1024
    ) where LW.Object == Object {
        let store = Store<Object>()
        let waker = BackoffWaker()
        self.store = store
        self.waker = waker
        self.subscriberCapacity = subscriberCapacity
        self.reflect = { onEvent in
            await Reflector(
                listerWatcher: listerWatcher, store: store, labelSelector: labelSelector,
                fieldSelector: fieldSelector, clock: clock, logger: logger, random: random, waker: waker,
                onEvent: onEvent
            ).run()
        }
    }

    /// Ends the backoff this informer is waiting out, if it is: it lists (or watches) again at once, from a
    /// backoff started over, and its store keeps the last good state meanwhile. Returns whether it was backing off.
    @discardableResult
    public func retryNow() -> Bool {
        guard case .backingOff = status else { return false }
        waker.wake()
        return true
    }

    // MARK: Reading

    /// The current contents of the store.
    public func snapshot() -> StoreSnapshot<Object> { store.snapshot() }

    /// Whether the first complete list has been stored.
    public var hasSynced: Bool { store.hasSynced }

    /// What the informer is doing now, for `berth status`.
    public var status: InformerStatus { state.withLock { $0.status } }

    /// Returns once the first list is in the store. Throws `CancellationError` if the calling task is
    /// cancelled or the informer stops first. Bound the wait with the caller's own timeout if needed.
    public func waitUntilSynced() async throws {
        if store.hasSynced { return }
        let id = state.withLock { state -> Int in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let outcome: Result<Void, any Error>? = state.withLock { state in
                    if store.hasSynced { return .success(()) }
                    if state.stopped || Task.isCancelled { return .failure(CancellationError()) }
                    state.syncWaiters[id] = continuation
                    return nil
                }
                if let outcome { continuation.resume(with: outcome) }
            }
        } onCancel: {
            let waiter = state.withLock { $0.syncWaiters.removeValue(forKey: id) }
            waiter?.resume(throwing: CancellationError())
        }
    }

    /// Changes from now on. Subscribe first, then read `snapshot()`: nothing written after the snapshot is missed.
    /// `capacity` overrides `subscriberCapacity` for this subscriber.
    public func subscribe(capacity: Int? = nil) -> InformerEvents<Object> {
        let id = state.withLock { state -> Int in
            state.nextSubscriber += 1
            return state.nextSubscriber
        }
        let buffer = SubscriberBuffer<Object>(capacity: capacity ?? subscriberCapacity) { [weak self] in
            _ = self?.state.withLock { $0.subscribers.removeValue(forKey: id) }
        }
        let alreadyStopped = state.withLock { state -> Bool in
            if state.stopped { return true }
            state.subscribers[id] = buffer
            return false
        }
        if alreadyStopped { buffer.finish(discardPending: false) }
        return InformerEvents(handle: SubscriptionHandle(buffer: buffer))
    }

    /// Number of live subscriptions (for status and tests).
    public var subscriberCount: Int { state.withLock { $0.subscribers.count } }

    // MARK: Running

    /// Runs the reflector until `stop()` is called or the task is cancelled, then finishes every subscription.
    /// Runs at most once; later calls, and calls after `stop()`, return at once.
    public func run() async {
        let proceed = state.withLock { state -> Bool in
            if state.started || state.stopRequested { return false }
            state.started = true
            return true
        }
        // A stop before the start already shut the informer down (see `stop()`).
        guard proceed else { return }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.reflect { self.handle($0) } }
            group.addTask { await self.waitForStopRequest() }
            _ = await group.next()
            group.cancelAll()
        }
        shutDown()
    }

    /// Asks `run()` to end; an informer that never ran is marked stopped at once.
    public func stop() {
        let (waiter, neverStarted) = state.withLock { state in
            state.stopRequested = true
            let waiter = state.stopWaiter
            state.stopWaiter = nil
            return (waiter, !state.started)
        }
        waiter?.resume()
        if neverStarted { shutDown() }
    }

    private func waitForStopRequest() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = state.withLock { state -> Bool in
                    if state.stopRequested || Task.isCancelled { return true }
                    state.stopWaiter = continuation
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { state in
                let waiter = state.stopWaiter
                state.stopWaiter = nil
                return waiter
            }
            waiter?.resume()
        }
    }

    private func shutDown() {
        let (subscribers, waiters) = state.withLock { state in
            state.stopped = true
            state.status = .stopped
            let subscribers = Array(state.subscribers.values)
            let waiters = Array(state.syncWaiters.values)
            state.subscribers = [:]
            state.syncWaiters = [:]
            return (subscribers, waiters)
        }
        for subscriber in subscribers { subscriber.finish(discardPending: false) }
        for waiter in waiters { waiter.resume(throwing: CancellationError()) }
    }

    private func handle(_ event: ReflectorEvent<Object>) {
        switch event {
        case .changed(let change):
            broadcast([InformerEvent(change)])
        case .replaced(let changes):
            var events = changes.map(InformerEvent.init)
            events.append(.resynced)
            broadcast(events)
            let waiters = state.withLock { state in
                let waiters = Array(state.syncWaiters.values)
                state.syncWaiters = [:]
                return waiters
            }
            for waiter in waiters { waiter.resume() }
        case .status(let status):
            let stopped = state.withLock { state -> Bool in
                if !state.stopped { state.status = status }
                return state.stopped
            }
            if case .backingOff(let error, _) = status, !stopped { broadcast([.failed(error)]) }
        }
    }

    private func broadcast(_ events: [InformerEvent<Object>]) {
        let subscribers = state.withLock { Array($0.subscribers.values) }
        for subscriber in subscribers { subscriber.push(events) }
    }
}
