import KubeAPI
import Logging

/// What a reflector reports while it runs, in the order it happened.
public enum ReflectorEvent<Object: KubeResource>: Sendable {
    /// A watch event changed the store.
    case changed(StoreChange<Object>)
    /// A complete list replaced the store; these are the differences it made (possibly none).
    case replaced([StoreChange<Object>])
    /// The reflector's status changed.
    case status(InformerStatus)
}

/// Runs `ReflectorStateMachine` against a `ListerWatcher`: lists, watches, backs off, and keeps a `Store` equal
/// to the server's collection. The only writer of its store. Runs until its task is cancelled.
public struct Reflector<LW: ListerWatcher>: Sendable {
    /// The kind of object reflected.
    public typealias Object = LW.Object

    private let listerWatcher: LW
    private let store: Store<Object>
    private let clock: any Clock<Duration>
    private let logger: Logger
    private let labelSelector: String?
    private let fieldSelector: String?
    private let random: SeededRandom
    private let waker: BackoffWaker?
    private let onEvent: @Sendable (ReflectorEvent<Object>) -> Void

    /// A reflector writing into `store`.
    /// - Parameters:
    ///   - clock: measures watch durations and sleeps backoffs; tests pass a manual clock.
    ///   - random: seeds watch timeouts and backoff jitter.
    ///   - onEvent: called on the reflector's task after each store write and status change; must not block.
    public init(
        listerWatcher: LW, store: Store<Object>, labelSelector: String? = nil, fieldSelector: String? = nil,
        clock: any Clock<Duration>, logger: Logger, random: SeededRandom = SeededRandom(),
        onEvent: @escaping @Sendable (ReflectorEvent<Object>) -> Void = { _ in }
    ) {
        self.init(
            listerWatcher: listerWatcher, store: store, labelSelector: labelSelector, fieldSelector: fieldSelector,
            clock: clock, logger: logger, random: random, waker: nil, onEvent: onEvent)
    }

    /// A reflector whose backoff `waker` can end early (`Informer.retryNow()`).
    init(
        listerWatcher: LW, store: Store<Object>, labelSelector: String?, fieldSelector: String?,
        clock: any Clock<Duration>, logger: Logger, random: SeededRandom, waker: BackoffWaker?,
        onEvent: @escaping @Sendable (ReflectorEvent<Object>) -> Void
    ) {
        self.waker = waker
        self.listerWatcher = listerWatcher
        self.store = store
        self.labelSelector = labelSelector
        self.fieldSelector = fieldSelector
        self.clock = clock
        self.logger = logger
        self.random = random
        self.onEvent = onEvent
    }

    /// Lists and watches until the task is cancelled. Errors never escape: they are backed off and reported
    /// through `onEvent(.status(.backingOff…))`.
    public func run() async {
        await run(on: clock)
    }

    private func run<C: Clock<Duration>>(on clock: C) async {
        var rng = random
        let request = "WATCH \(Object.resource)"
        var machine = ReflectorStateMachine(
            labelSelector: labelSelector, fieldSelector: fieldSelector, watchRequest: request,
            random: SeededRandom(seed: rng.next()))
        var backoff = Backoff(random: SeededRandom(seed: rng.next()))
        let origin = clock.now
        var pages: [Object] = []
        var reported: InformerStatus?
        // A cluster that cannot be reached fails every attempt the same way: say it once per change, not per retry.
        var lastWarning: String?
        var watchesOpened = 0
        func report(_ status: InformerStatus) {
            switch (reported, status) {
            case (.syncing?, .syncing), (.synced?, .synced): return
            default: break
            }
            reported = status
            onEvent(.status(status))
        }

        var action = machine.event(.start)
        while !Task.isCancelled {
            switch action {
            case .list(let options):
                if options.continueToken == nil {
                    pages.removeAll()
                    report(.syncing)
                }
                do {
                    let page = try await listerWatcher.list(options)
                    pages.append(contentsOf: page.items)
                    action = machine.event(.listPage(page.metadata))
                } catch {
                    if Task.isCancelled { return }
                    pages.removeAll()
                    action = machine.event(.listFailed(Self.kubeError(error, request: "LIST \(Object.resource)")))
                }

            case .replaceStore(let resourceVersion, let watch):
                let changes = store.replace(pages, resourceVersion: resourceVersion)
                logger.debug(
                    "listed", metadata: ["resource": "\(Object.resource)", "objects": "\(pages.count)",
                                         "resourceVersion": "\(resourceVersion ?? "")"])
                pages.removeAll()
                onEvent(.replaced(changes))
                report(.synced)
                lastWarning = nil
                action = .watch(watch)

            case .watch(let options):
                // Every watch after this reflector's first is a restart (docs/metrics.md).
                if watchesOpened > 0 { listerWatcher.apiMetrics?.watchRestarts.increment() }
                logger.debug(
                    watchesOpened > 0 ? "watching again" : "watching",
                    metadata: ["resource": "\(Object.resource)", "resourceVersion": "\(options.resourceVersion ?? "")"])
                watchesOpened += 1
                let next = await watch(options, machine: &machine, clock: clock, request: request) {
                    if store.hasSynced { report(.synced) }
                }
                guard let next else { return }
                action = next

            case .keepWatching:
                // Only returned while a stream is open, which `watch` consumes; should one leak out here, treat
                // it as a stream that ended after progress so the machine asks for a fresh watch.
                action = machine.event(.watchEnded(duration: ReflectorStateMachine.shortWatch, events: 1))

            case .backoff(let error, let retryAfter):
                var delay = backoff.next(now: origin.duration(to: clock.now))
                if let retryAfter, retryAfter > delay { delay = retryAfter }
                let summary = error.summary
                logger.log(
                    level: summary == lastWarning ? .debug : .warning, "list/watch failed; backing off",
                    metadata: ["resource": "\(Object.resource)", "error": "\(summary)", "delay": "\(delay)"])
                lastWarning = summary
                report(.backingOff(lastError: error, retryIn: delay))
                do {
                    let deadline = clock.now.advanced(by: delay)
                    if let waker, try await waker.sleep(until: deadline, clock: clock) {
                        // The network settled or the API server answers again: what grew while it was away is
                        // no measure of the next failure.
                        backoff.reset()
                        logger.debug("retrying at once", metadata: ["resource": "\(Object.resource)"])
                    } else if waker == nil {
                        try await clock.sleep(until: deadline, tolerance: nil)
                    }
                } catch {
                    return
                }
                waker?.clear()
                action = machine.event(.backoffElapsed)
            }
        }
    }

    /// Opens one watch and consumes it. Returns the machine's next action, or nil when cancelled.
    private func watch<C: Clock<Duration>>(
        _ options: WatchOptions, machine: inout ReflectorStateMachine, clock: C, request: String,
        opened onOpen: () -> Void
    ) async -> ReflectorStateMachine.Action? {
        let events: LW.Events
        do {
            events = try await listerWatcher.watch(options)
        } catch {
            if Task.isCancelled { return nil }
            return machine.event(.watchOpenFailed(Self.kubeError(error, request: request)))
        }
        _ = machine.event(.watchOpened)
        onOpen()
        let opened = clock.now
        var count = 0
        do {
            for try await event in events {
                count += 1
                switch event {
                case .added(let object), .modified(let object), .deleted(let object):
                    if let change = store.apply(event) { onEvent(.changed(change)) }
                    _ = machine.event(.watchEvent(resourceVersion: object.metadata.resourceVersion))
                case .bookmark(let resourceVersion):
                    store.apply(event)
                    _ = machine.event(.watchEvent(resourceVersion: resourceVersion))
                case .error(let status):
                    logger.debug(
                        "watch ended with an error event",
                        metadata: ["resource": "\(Object.resource)", "code": "\(status.code ?? 0)"])
                    return machine.event(.watchErrorEvent(status))
                }
            }
            if Task.isCancelled { return nil }
            logger.debug("watch ended", metadata: ["resource": "\(Object.resource)", "events": "\(count)"])
            return machine.event(.watchEnded(duration: opened.duration(to: clock.now), events: count))
        } catch {
            if Task.isCancelled { return nil }
            logger.debug(
                "watch failed",
                metadata: ["resource": "\(Object.resource)", "events": "\(count)", "error": "\(Self.kubeError(error, request: request).summary)"])
            return machine.event(
                .watchFailed(
                    Self.kubeError(error, request: request), duration: opened.duration(to: clock.now), events: count))
        }
    }

    /// The ListerWatcher contract promises `KubeClientError`; anything else is treated as a broken transport.
    private static func kubeError(_ error: any Error, request: String) -> KubeClientError {
        if let error = error as? KubeClientError { return error }
        return .transport(request: request, description: KubeClient.describe(error))
    }
}
