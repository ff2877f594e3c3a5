import KubeAPI
import Logging
import Synchronization

/// Shares informers of one resource type: one per `InformerKey`, reference-counted through leases.
///
/// The factory does not start tasks of its own: `run()` hosts every informer's task in a task group, so the
/// informers live exactly as long as the task that runs the factory. The daemon runs one factory per resource
/// type (pods, services, endpointslices) as a service of its `ServiceGroup` (the signature of `run()` matches
/// swift-service-lifecycle's `Service`), started before and shut down after the controller that acquires.
public final class InformerFactory<Object: KubeResource>: Sendable {
    /// Makes the lister-watcher for a new informer: picks the cluster's client, namespace and selectors.
    /// It runs under the factory's lock, so it must be quick and must not call back into the factory.
    public typealias MakeListerWatcher = @Sendable (InformerKey) -> any ListerWatcher<Object>

    private struct Entry {
        let informer: Informer<Object>
        var leases: Int
    }

    private struct State {
        var entries: [InformerKey: Entry] = [:]
        var toStart: [Informer<Object>] = []
        var hostWaiter: CheckedContinuation<Informer<Object>?, Never>?
        var running = false
        var finished = false
        var random: SeededRandom
    }

    private let makeListerWatcher: MakeListerWatcher
    private let clock: any Clock<Duration>
    private let logger: Logger
    private let subscriberCapacity: Int
    private let state: Mutex<State>

    /// A factory whose informers use `clock` and `logger`; `random` seeds each informer's jitter.
    public init(
        clock: any Clock<Duration>, logger: Logger, random: SeededRandom = SeededRandom(),
        subscriberCapacity: Int = 1024, makeListerWatcher: @escaping MakeListerWatcher
    ) {
        self.clock = clock
        self.logger = logger
        self.subscriberCapacity = subscriberCapacity
        self.makeListerWatcher = makeListerWatcher
        self.state = Mutex(State(random: random))
    }

    /// The informer for `key`, created (and queued to start in `run()`) if no lease holds it yet.
    /// After `run()` has returned, the informer comes back already stopped.
    public func acquire(_ key: InformerKey) -> InformerLease<Object> {
        let (informer, created, waiter, stopNow) = state.withLock {
            state -> (Informer<Object>, Bool, CheckedContinuation<Informer<Object>?, Never>?, Bool) in
            if var entry = state.entries[key] {
                entry.leases += 1
                state.entries[key] = entry
                return (entry.informer, false, nil, false)
            }
            let informer = makeInformer(key, seed: state.random.next())
            if state.finished { return (informer, true, nil, true) }
            state.entries[key] = Entry(informer: informer, leases: 1)
            if let waiter = state.hostWaiter {
                state.hostWaiter = nil
                return (informer, true, waiter, false)
            }
            state.toStart.append(informer)
            return (informer, true, nil, false)
        }
        if created { logger.debug("informer created", metadata: ["resource": "\(Object.resource)", "key": "\(key)"]) }
        waiter?.resume(returning: informer)
        if stopNow {
            informer.stop()
            return InformerLease(informer: informer, key: key, onRelease: {})
        }
        return InformerLease(informer: informer, key: key) { [weak self] in self?.release(key, informer) }
    }

    /// Lease counts per key, for status and tests.
    public var leaseCounts: [InformerKey: Int] {
        state.withLock { $0.entries.mapValues(\.leases) }
    }

    /// Hosts the informers' tasks until cancelled, then stops them all and waits for them to end.
    /// Throws nothing today; `throws` keeps the signature of a `Service`.
    public func run() async throws {
        let first = state.withLock { state -> Bool in
            defer { state.running = true }
            return !state.running
        }
        guard first else { return }
        await withDiscardingTaskGroup { group in
            while let informer = await nextToStart() {
                group.addTask { await informer.run() }
            }
            group.cancelAll()
        }
        let leftovers = state.withLock { state in
            state.finished = true
            let informers = state.entries.values.map(\.informer) + state.toStart
            state.entries = [:]
            state.toStart = []
            return informers
        }
        for informer in leftovers { informer.stop() }
    }

    private func makeInformer(_ key: InformerKey, seed: UInt64) -> Informer<Object> {
        let listerWatcher = makeListerWatcher(key)
        var logger = logger
        logger[metadataKey: "informer"] = "\(Object.resource) \(key)"
        return Self.informer(
            listerWatcher, key: key, clock: clock, logger: logger, seed: seed, capacity: subscriberCapacity)
    }

    /// Opens the existential so the informer gets the concrete lister-watcher type.
    private static func informer<LW: ListerWatcher>(
        _ listerWatcher: LW, key: InformerKey, clock: any Clock<Duration>, logger: Logger, seed: UInt64,
        capacity: Int
    ) -> Informer<Object> where LW.Object == Object {
        Informer(
            listerWatcher: listerWatcher, labelSelector: key.labelSelector, fieldSelector: key.fieldSelector,
            clock: clock, logger: logger, random: SeededRandom(seed: seed), subscriberCapacity: capacity)
    }

    private func release(_ key: InformerKey, _ informer: Informer<Object>) {
        let last = state.withLock { state -> Bool in
            guard var entry = state.entries[key], entry.informer === informer else { return false }
            entry.leases -= 1
            if entry.leases > 0 {
                state.entries[key] = entry
                return false
            }
            state.entries[key] = nil
            state.toStart.removeAll { $0 === informer }
            return true
        }
        if last {
            logger.debug("informer released", metadata: ["resource": "\(Object.resource)", "key": "\(key)"])
            informer.stop()
        }
    }

    /// The next informer to host; nil when the hosting task is cancelled.
    private func nextToStart() async -> Informer<Object>? {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Informer<Object>?, Never>) in
                let immediate: Informer<Object>?? = state.withLock { state in
                    if Task.isCancelled { return .some(nil) }
                    if !state.toStart.isEmpty { return .some(state.toStart.removeFirst()) }
                    state.hostWaiter = continuation
                    return .none
                }
                if let immediate { continuation.resume(returning: immediate) }
            }
        } onCancel: {
            let waiter = state.withLock { state in
                defer { state.hostWaiter = nil }
                return state.hostWaiter
            }
            waiter?.resume(returning: nil)
        }
    }
}
