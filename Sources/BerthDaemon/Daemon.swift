import BerthManifest
import BerthMetrics
import Foundation
import Logging
import Reconcile
import ServiceLifecycle
import Synchronization

/// berth itself: keeps every forward of the manifest converged, the way a Kubernetes controller does.
///
/// `run()` hosts everything (informers, the reconcile controller, the forwards, the manifest watch) in one
/// task group; `stop()`, a graceful shutdown of its `ServiceGroup` or cancelling the caller ends it:
/// listeners close, connections drain, watches end. It is a `Service`: ``run(alongside:stopOnSignals:)`` and
/// ``DaemonHost`` run it in a group with what runs beside it (docs/architecture.md, "Lifecycle").
/// The lock, state file and control socket hook in through `status()` and `statusChanges()`.
public final class Daemon: Service, Sendable {
    /// The daemon's settings.
    public let configuration: DaemonConfiguration
    let manifest: ManifestSource
    let clusters: ClusterRegistry
    let observed: ObservedState
    let supervisor: ForwardSupervisor
    let statuses: StatusStore
    let reconciler: ForwardReconciler
    let queue: WorkQueue<String>
    let localNames: LocalNameKeeper
    let relays: RelayManager
    /// Streams and watches that found the API server unreachable (docs/controller.md); see `recoverWhenTheAPIServerAnswers`.
    let unreachable: (stream: AsyncStream<NetworkChange>, continuation: AsyncStream<NetworkChange>.Continuation)
    private let stopRequest = OneShotSignal()
    /// Whether `loadManifest()` has succeeded, so that `run()` does not read the files a second time.
    private let manifestLoaded = Mutex(false)

    /// Creates a daemon; nothing runs until `run()`.
    public init(configuration: DaemonConfiguration) {
        self.configuration = configuration
        let logger = configuration.logger
        let localNames = LocalNameKeeper(settings: configuration.localNames ?? Self.addressesOnly(configuration), logger: logger)
        let manifest: ManifestSource
        switch configuration.source {
        case .files(let manifests, let envFiles):
            manifest = ManifestSource(
                paths: manifests, envFilePaths: envFiles, environment: configuration.environment, context: configuration.context,
                debounce: configuration.reloadDebounce, clock: configuration.clock, logger: logger,
                prepare: { localNames.assignAddresses($0) })
        case .inline(let inline):
            manifest = ManifestSource(manifest: inline, logger: logger)
        }
        let paths = manifest.paths.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
        let statuses = StatusStore(pid: ProcessInfo.processInfo.processIdentifier, startedAt: Date(), manifests: paths)
        let apiMetrics = APIMetrics(factory: configuration.metrics.factory)
        let clusters = ClusterRegistry(
            kubeconfig: configuration.kubeconfig, context: configuration.context,
            environment: configuration.environment, sessions: configuration.sessions, metrics: apiMetrics, logger: logger)
        let queue = WorkQueue<String>(clock: configuration.clock)
        // The observed state enqueues the dependents of a scope on every event; the box breaks the cycle.
        let box = DependentsBox()
        let unreachable = AsyncStream<NetworkChange>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let observed = ObservedState(
            clusters: clusters, clock: configuration.clock, logger: logger,
            onUnreachable: { unreachable.continuation.yield(NetworkChange(kind: .apiServerUnreachable)) }
        ) { scope in
            for name in box.dependents(scope) { queue.add(name) }
        }
        box.set(observed)
        let supervisor = ForwardSupervisor(logger: logger)
        let owner = configuration.relayOwner
            ?? RelayOwner.id(user: NSUserName(), host: ProcessInfo.processInfo.hostName, manifests: paths)
        let relays = RelayManager(owner: owner, logger: logger, enqueue: { queue.add($0) })
        self.unreachable = unreachable
        self.relays = relays
        self.manifest = manifest
        self.localNames = localNames
        self.statuses = statuses
        self.clusters = clusters
        self.queue = queue
        self.observed = observed
        self.supervisor = supervisor
        self.reconciler = ForwardReconciler(
            desired: manifest, observed: observed, clusters: clusters, supervisor: supervisor, statuses: statuses,
            eventLoopGroup: configuration.eventLoopGroup, clock: configuration.clock, metrics: configuration.metrics,
            logger: logger, upstreamChanged: { queue.add($0) }, relays: relays,
            apiServerUnreachable: { unreachable.continuation.yield(NetworkChange(kind: .apiServerUnreachable)) })
    }

    /// Loads and validates the manifest files, once: `DaemonHost` calls it before it announces the daemon
    /// (lock, state file, control socket), so that invalid files are an error and nothing else, as a kubectl
    /// user expects of `apply -f`; `run()` calls it when nobody did.
    /// - Throws: `BerthDaemonError.manifestInvalid` when the files are invalid.
    public func loadManifest() throws {
        guard !manifestLoaded.withLock({ $0 }) else { return }
        if let errors = manifest.load() {
            throw BerthDaemonError.manifestInvalid(errors)
        }
        manifestLoaded.withLock { $0 = true }
    }

    /// Loads the manifest, then serves until `stop()`, graceful shutdown or cancellation.
    /// - Throws: `BerthDaemonError.manifestInvalid` when the files are invalid at start-up.
    public func run() async throws {
        // Status readers (the live table, `berth forward`'s console) end with the daemon, however it ends.
        defer { statuses.finish() }
        try loadManifest()
        let logger = configuration.logger
        let controller = Controller(
            reconciler: reconciler, queue: queue,
            configuration: .init(workers: configuration.workers, resyncInterval: configuration.resyncInterval),
            clock: configuration.clock,
            resyncKeys: { [manifest, statuses] in Self.allKeys(manifest.current, statuses.snapshot()) },
            onError: { [repeats = LastErrors()] name, error in
                // An API server that cannot be reached fails every retry the same way: say it once per change.
                let level: Logger.Level = repeats.isRepeat(of: "\(error)", for: name) ? .debug : .warning
                logger.log(level: level, "reconcile failed; retrying with backoff", metadata: ["forward": "\(name)", "error": "\(error)"])
            })

        statuses.setOrder(manifest.current.forwards.map(\.name))
        for spec in manifest.current.forwards { queue.add(spec.name) }
        logger.info("berth started", metadata: ["forwards": "\(manifest.current.forwards.count)"])

        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.observed.run() }
            group.addTask { await self.supervisor.run() }
            group.addTask { await controller.run() }
            group.addTask { await self.keepLocalNames() }
            group.addTask { await self.collectRelayOrphans(of: self.manifest.current) }
            if self.configuration.watchNetwork {
                group.addTask { await self.settleNetworkChanges() }
            }
            group.addTask { await self.recoverWhenTheAPIServerAnswers() }
            group.addTask {
                await self.manifest.watch { old, new, errors in
                    self.statuses.setManifestErrors(errors)
                    self.statuses.setOrder(new.forwards.map(\.name))
                    for name in Self.changedKeys(old, new) { self.queue.add(name) }
                    self.syncLocalNames()
                }
            }
            await withTaskCancellationOrGracefulShutdownHandler {
                await self.stopRequest.wait()
            } onCancelOrGracefulShutdown: {
                self.stopRequest.fire()
            }
            // Graceful stop: no new reconcile starts, listeners close, then the informers and forwards end.
            logger.info("berth stopping")
            self.queue.shutDown()
            await self.reconciler.stopAll()
            // Before the clients shut down: the relay pods are the cluster side of berth's truthful state.
            await self.relays.shutdown()
            self.localNames.removeBlock()
            self.supervisor.finish()
            self.observed.finish()
            group.cancelAll()
        }
        await clusters.shutdown()
        logger.info("berth stopped")
    }

    /// Runs the daemon with `services` beside it (a status view, say), as ``DaemonLifecycle`` describes: the
    /// daemon stops first, then the others; with `stopOnSignals`, SIGINT or SIGTERM stops it gracefully.
    /// - Throws: what the daemon throws (`BerthDaemonError.manifestInvalid` at start-up), after the others stopped.
    public func run(alongside services: [any Service], stopOnSignals: Bool) async throws {
        try await DaemonLifecycle.run(self, alongside: services, stopOnSignals: stopOnSignals, logger: configuration.logger)
    }

    /// Asks `run()` to stop: listeners close, connections drain, watches end. Idempotent.
    public func stop() {
        stopRequest.fire()
    }

    /// Re-establishes what the network change broke and re-examines every forward (after a network change
    /// settles, for example): failing watches start over at once, then one pass per forward, not a storm.
    /// Warm streams waiting out a backoff reopen at once too. Counted in the status (`resyncs`), so a storm would show.
    public func resync() async {
        statuses.recordResync()
        configuration.metrics.networkResyncs.increment()
        await restartStreamsAndWatches()
    }

    /// Starts over what a broken path to the API server left failing: informers waiting out a backoff, sessions
    /// that may be dead, warm streams waiting out a backoff; then looks at every forward again.
    func restartStreamsAndWatches() async {
        // Each lists or watches again at once, keeping its store; its reflector counts the new watch as a restart.
        let retried = observed.retryFailingNow()
        if retried > 0 { configuration.logger.info("retrying failing watches at once", metadata: ["informers": "\(retried)"]) }
        // A session the network change broke is found now, not two keepalive intervals later.
        clusters.sessions.probeAll()
        await reconciler.retryWarmStreamsNow()
        for name in Self.allKeys(manifest.current, statuses.snapshot()) { queue.add(name) }
    }

    /// The status now, with live connection counters.
    public func status() async -> DaemonStatus {
        var status = statuses.snapshot()
        let counters = await reconciler.connectionCounters()
        let transports = await reconciler.transportUsage()
        for index in status.forwards.indices {
            let name = status.forwards[index].name
            if let live = counters[name] { status.forwards[index].connections = live }
            if let usage = transports[name] {
                status.forwards[index].transport = usage.transport
                status.forwards[index].sessions = usage.sessions
            }
        }
        return status
    }

    /// Every status change from now on (the current status first); ends when the daemon stops.
    public func statusChanges() -> AsyncStream<DaemonStatus> {
        statuses.changes()
    }

    /// The whole status, as `status()` gives it (live connection counters, transport, sessions), on every
    /// status change and at least every `refresh` on the daemon's clock, since those change without one:
    /// what the live view of `berth up` draws. Ends when the daemon stops.
    public func liveStatusChanges(refresh: Duration = .seconds(1)) -> AsyncStream<DaemonStatus> {
        let changes = statusChanges()
        let clock = configuration.clock
        return AsyncStream { continuation in
            let task = Task {
                // One wake-up per change or tick; a burst of them while the status is read counts once.
                let (wakes, wake) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
                await withTaskGroup(of: Void.self) { group in
                    group.addTask {
                        for await _ in changes { wake.yield() }
                        wake.finish()
                    }
                    group.addTask {
                        while (try? await clock.sleep(for: refresh)) != nil { wake.yield() }
                    }
                    for await _ in wakes { continuation.yield(await self.status()) }
                    group.cancelAll()
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// Forwards whose spec changed, appeared or disappeared between two manifests.
    static func changedKeys(_ old: Manifest, _ new: Manifest) -> [String] {
        let names = Set(old.forwards.map(\.name)).union(new.forwards.map(\.name))
        return names.filter { old[$0] != new[$0] }.sorted()
    }

    private static func allKeys(_ manifest: Manifest, _ status: DaemonStatus) -> [String] {
        Array(Set(manifest.forwards.map(\.name)).union(status.forwards.map(\.name))).sorted()
    }
}

/// Breaks the init-order cycle between the observed state (which enqueues dependents) and itself.
private final class DependentsBox: Sendable {
    private let observed = Mutex<ObservedState?>(nil)

    func set(_ state: ObservedState) { observed.withLock { $0 = state } }

    func dependents(_ scope: ObservedState.Scope) -> [String] {
        observed.withLock { $0 }?.dependents(of: scope) ?? []
    }
}

/// The last reconcile error logged per forward, so that a retry failing the same way is not logged again.
private final class LastErrors: Sendable {
    private let last = Mutex<[String: String]>([:])

    /// Whether `error` is what `forward` last failed with; records it either way.
    func isRepeat(of error: String, for forward: String) -> Bool {
        last.withLock { last in
            defer { last[forward] = error }
            return last[forward] == error
        }
    }
}
