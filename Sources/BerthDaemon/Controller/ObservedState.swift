import BerthManifest
import KubeAPI
import KubeClient
import Logging
import Synchronization

/// The observed half of reconcile: shared informers per (cluster, namespace, resource), leased for the
/// forwards that need them and released when none does (docs/architecture.md, invariant 3).
///
/// Every informer event enqueues the forwards that depend on its (cluster, namespace) through `onChange`:
/// the event only says where to look; reconcile reads the stores. No lock is held while an informer starts
/// or stops: the locks guard bookkeeping only (see `LeaseTable`).
public final class ObservedState: Sendable {
    /// The resources a forward may need.
    public enum Resource: Hashable, Sendable, CaseIterable {
        case pods, services, endpointSlices, deployments, statefulSets
    }

    /// A namespace of a cluster.
    public struct Scope: Hashable, Sendable, CustomStringConvertible {
        /// The cluster id (context name).
        public var cluster: String
        /// The namespace.
        public var namespace: String

        /// Creates a scope.
        public init(cluster: String, namespace: String) {
            self.cluster = cluster
            self.namespace = namespace
        }

        /// `cluster/namespace`.
        public var description: String { "\(cluster)/\(namespace)" }
    }

    /// Whether the stores a forward reads can be trusted now.
    public enum Health: Sendable {
        /// Every store holds a complete list.
        case synced
        /// A first list is still on its way.
        case syncing
        /// A list or watch keeps failing; the error says why (forbidden, unreachable, …).
        case failing(KubeClientError)
    }

    typealias Job = @Sendable () async -> Void

    let pods: LeaseTable<Pod>
    let services: LeaseTable<Service>
    let slices: LeaseTable<EndpointSlice>
    let deployments: LeaseTable<Deployment>
    let statefulSets: LeaseTable<StatefulSet>
    /// The same tables by resource, for everything that does not need the object type.
    private let tables: [Resource: any ResourceLeases]
    /// What each forward reads.
    private let needs = Mutex<[String: (scope: Scope, resources: Set<Resource>)]>([:])
    private let jobs: AsyncStream<Job>.Continuation
    private let jobStream: AsyncStream<Job>

    /// Creates the observed state.
    /// - Parameters:
    ///   - clusters: where lister-watchers find each cluster's client (resolved before any lease is taken).
    ///   - onChange: called for every informer event of a scope, usually to enqueue its dependents.
    ///   - onUnreachable: called when a list or watch could not reach the API server (a transport error: a
    ///     partition, an API server restart), so that its return can end every informer's backoff at once.
    public init(
        clusters: ClusterRegistry, clock: any Clock<Duration>, logger: Logger,
        onUnreachable: @escaping @Sendable () -> Void = {},
        onChange: @escaping @Sendable (Scope) -> Void
    ) {
        func table<Object: KubeResource>(_ type: Object.Type) -> LeaseTable<Object> {
            LeaseTable(factory: InformerFactory<Object>(clock: clock, logger: logger) { key in
                guard let client = clusters.resolvedClient(key.cluster) else {
                    return UnresolvedClusterListerWatcher<Object>(cluster: key.cluster)
                }
                return client.listerWatcher(for: Object.self, namespace: key.namespace)
            }, onUnreachable: onUnreachable, onChange: onChange)
        }
        pods = table(Pod.self)
        services = table(Service.self)
        slices = table(EndpointSlice.self)
        deployments = table(Deployment.self)
        statefulSets = table(StatefulSet.self)
        tables = [.pods: pods, .services: services, .endpointSlices: slices, .deployments: deployments, .statefulSets: statefulSets]
        let (stream, continuation) = AsyncStream.makeStream(of: Job.self)
        jobStream = stream
        jobs = continuation
    }

    /// The resources a forward to `target` reads; with `localNames` (`names: true`) a statefulset or pod
    /// target also reads services, to know whether its pod has a name under a headless one
    /// (docs/local-names.md). A host target reads the pods, where its relay pod is.
    public static func resources(for target: ForwardTarget, localNames: Bool = false) -> Set<Resource> {
        switch target {
        case .service: [.pods, .services, .endpointSlices]
        case .deployment: [.pods, .deployments]
        case .statefulSet: localNames ? [.pods, .statefulSets, .services] : [.pods, .statefulSets]
        case .pod: localNames ? [.pods, .services] : [.pods]
        case .selector, .host: [.pods]
        }
    }

    /// Makes `forward` depend on exactly these resources of `scope`: leases what is new, releases what it no
    /// longer needs (including all of a previous scope).
    public func require(forward: String, scope: Scope, resources: Set<Resource>) {
        let previous: (scope: Scope, resources: Set<Resource>)?? = needs.withLock { needs in
            let previous = needs[forward]
            if let previous, previous.scope == scope, previous.resources == resources { return .none }
            needs[forward] = (scope, resources)
            return .some(previous)
        }
        guard case .some(let previous) = previous else { return }
        for resource in resources where previous?.scope != scope || !(previous?.resources.contains(resource) ?? false) {
            if let job = tables[resource]?.acquire(scope, forward: forward) { jobs.yield(job) }
        }
        if let previous {
            for resource in previous.resources where previous.scope != scope || !resources.contains(resource) {
                tables[resource]?.release(previous.scope, forward: forward)
            }
        }
    }

    /// Releases everything `forward` holds.
    public func release(forward: String) {
        guard let previous = needs.withLock({ $0.removeValue(forKey: forward) }) else { return }
        for resource in previous.resources {
            tables[resource]?.release(previous.scope, forward: forward)
        }
    }

    /// The forwards that read `scope`.
    public func dependents(of scope: Scope) -> [String] {
        needs.withLock { needs in needs.filter { $0.value.scope == scope }.map(\.key) }
    }

    /// How many informers are leased now, for status and tests.
    public var informerCount: Int {
        tables.values.reduce(0) { $0 + $1.count }
    }

    /// The stores of `scope`, as values keyed by name; empty for resources no forward leases there. Each store's
    /// contents and whether it had synced are read together, from the informer leased at that moment: one leased
    /// since the last `health(of:resources:)` shows as a store missing from `synced`.
    public func objects(in scope: Scope) -> ObservedObjects {
        let services = self.services.objects(scope), slices = self.slices.objects(scope), pods = self.pods.objects(scope)
        let deployments = self.deployments.objects(scope), statefulSets = self.statefulSets.objects(scope)
        let synced: [(Resource, Bool)] = [
            (.services, services.synced), (.endpointSlices, slices.synced), (.pods, pods.synced),
            (.deployments, deployments.synced), (.statefulSets, statefulSets.synced),
        ]
        return ObservedObjects(
            servicesByName: services.byName, endpointSlicesByName: slices.byName, podsByName: pods.byName,
            deploymentsByName: deployments.byName, statefulSetsByName: statefulSets.byName,
            synced: Set(synced.filter(\.1).map(\.0)))
    }

    /// Whether every store of `resources` in `scope` is synced, or why not.
    ///
    /// A store that has synced keeps its last good state while its list or watch fails for a reason waiting can
    /// fix (a partition, an API server restart, a malformed event): the forward keeps running on it and the
    /// informer relists when it can (docs/informers.md). Only a store that never synced, or an API server that
    /// now refuses the user (401, 403: a person must act), makes the forward fail.
    public func health(of scope: Scope, resources: Set<Resource>) -> Health {
        let statuses = resources.compactMap { tables[$0]?.health(scope) }
        for (synced, status) in statuses {
            if case .backingOff(let error, _) = status, !synced || Self.needsAPerson(error) { return .failing(error) }
        }
        return statuses.count == resources.count && statuses.allSatisfy { $0.synced } ? .synced : .syncing
    }

    /// Whether the informer of `resource` in `scope` is waiting out a backoff after a failed list or watch.
    func isBackingOff(_ resource: Resource, in scope: Scope) -> Bool {
        guard case .backingOff = tables[resource]?.health(scope)?.status else { return false }
        return true
    }

    /// Whether `error` is one that waiting cannot fix: the API server refuses these credentials or this user.
    static func needsAPerson(_ error: KubeClientError) -> Bool {
        guard case .api(let status, _, _) = error else { return false }
        return status.code == 401 || status.code == 403
    }

    /// Ends the backoff of every informer whose list or watch keeps failing: each lists or watches again at once.
    ///
    /// After the network settled and the API server answers, waiting out their backoff (up to a jittered 30 s)
    /// would only delay recovery. Each keeps its store meanwhile, so a forward running on its last good state
    /// goes on running and shows no `CacheSyncing`. Healthy informers are left alone: their watches survived.
    /// Returns how many were backing off.
    @discardableResult
    public func retryFailingNow() -> Int {
        tables.values.reduce(0) { $0 + $1.retryFailingNow() }
    }

    /// Hosts the informer factories and the event subscriptions until cancelled.
    public func run() async {
        await withDiscardingTaskGroup { group in
            for table in tables.values {
                group.addTask { await table.runFactory() }
            }
            for await job in jobStream {
                group.addTask { await job() }
            }
            group.cancelAll()
        }
    }

    /// Ends `run()` (its subscriptions and informers).
    public func finish() {
        jobs.finish()
    }
}

/// What `ObservedState` does with the leases of one resource, whatever its object type.
protocol ResourceLeases: Sendable {
    /// How many informers are leased.
    var count: Int { get }
    /// Adds `forward` to the users of `scope`'s informer, leasing it if it is the first; returns the
    /// subscription job of a new informer.
    func acquire(_ scope: ObservedState.Scope, forward: String) -> ObservedState.Job?
    /// Removes `forward` from the users of `scope`'s informer; the last user's release stops it.
    func release(_ scope: ObservedState.Scope, forward: String)
    /// Ends the backoff of each informer waiting one out, so it lists or watches again at once; returns how many.
    func retryFailingNow() -> Int
    /// Whether `scope`'s store is synced, and its informer's status; nil when nobody leases it.
    func health(_ scope: ObservedState.Scope) -> (synced: Bool, status: InformerStatus)?
    /// Hosts the informer factory until cancelled.
    func runFactory() async
}

/// The leases of one resource type, with the forwards using each.
///
/// The lock guards only the table: leasing an informer (which may start it) and releasing one (which may
/// stop it) happen outside it, so a slow start or stop never blocks reconcile of other forwards. Two forwards
/// leasing a new scope at once both ask the factory (which shares one informer per key); the second lease
/// is given back.
final class LeaseTable<Object: KubeResource>: ResourceLeases {
    private struct Entry {
        var lease: InformerLease<Object>
        var users: Set<String>
    }

    /// Where the leases come from (tests lease informers of their own through it).
    let factory: InformerFactory<Object>
    private let onChange: @Sendable (ObservedState.Scope) -> Void
    private let onUnreachable: @Sendable () -> Void
    private let entries = Mutex<[ObservedState.Scope: Entry]>([:])

    init(
        factory: InformerFactory<Object>, onUnreachable: @escaping @Sendable () -> Void = {},
        onChange: @escaping @Sendable (ObservedState.Scope) -> Void
    ) {
        self.factory = factory
        self.onUnreachable = onUnreachable
        self.onChange = onChange
    }

    var count: Int { entries.withLock { $0.count } }

    func acquire(_ scope: ObservedState.Scope, forward: String) -> ObservedState.Job? {
        let joined = entries.withLock { entries -> Bool in
            guard entries[scope] != nil else { return false }
            entries[scope]?.users.insert(forward)
            return true
        }
        if joined { return nil }
        let lease = factory.acquire(key(scope))
        let spare = entries.withLock { entries -> InformerLease<Object>? in
            if entries[scope] != nil {
                entries[scope]?.users.insert(forward)
                return lease
            }
            entries[scope] = Entry(lease: lease, users: [forward])
            return nil
        }
        guard let spare else { return subscription(lease, scope) }
        spare.release()
        return nil
    }

    func release(_ scope: ObservedState.Scope, forward: String) {
        let last = entries.withLock { entries -> InformerLease<Object>? in
            guard var entry = entries[scope] else { return nil }
            entry.users.remove(forward)
            guard entry.users.isEmpty else {
                entries[scope] = entry
                return nil
            }
            entries[scope] = nil
            return entry.lease
        }
        last?.release()
    }

    func retryFailingNow() -> Int {
        let failing = entries.withLock { entries in entries.values.map(\.lease.informer) }
        return failing.reduce(0) { count, informer in count + (informer.retryNow() ? 1 : 0) }
    }

    func health(_ scope: ObservedState.Scope) -> (synced: Bool, status: InformerStatus)? {
        guard let informer = entries.withLock({ $0[scope]?.lease.informer }) else { return nil }
        return (informer.hasSynced, informer.status)
    }

    func runFactory() async {
        try? await factory.run()
    }

    /// `scope`'s objects by name (one namespace: names are unique), and whether they are a complete list: one
    /// snapshot of the store, so both describe the same moment. Not synced when nobody leases the scope.
    func objects(_ scope: ObservedState.Scope) -> (byName: [String: Object], synced: Bool) {
        guard let informer = entries.withLock({ $0[scope]?.lease.informer }) else { return ([:], false) }
        let snapshot = informer.snapshot()
        var byName: [String: Object] = [:]
        for (key, object) in snapshot.objects { byName[key.name] = object }
        return (byName, snapshot.hasSynced)
    }

    private func key(_ scope: ObservedState.Scope) -> InformerKey {
        InformerKey(cluster: scope.cluster, namespace: scope.namespace)
    }

    /// Every event of the informer wakes the scope's forwards. The factory may start the informer (or share one
    /// that runs) before this subscription exists, so a first list can have been broadcast to nobody: the job
    /// checks `hasSynced` after subscribing, and a store synced by then wakes the scope once more.
    private func subscription(_ lease: InformerLease<Object>, _ scope: ObservedState.Scope) -> ObservedState.Job {
        let informer = lease.informer
        let events = informer.subscribe()
        let onChange = onChange, onUnreachable = onUnreachable
        return {
            if informer.hasSynced { onChange(scope) }
            for await event in events {
                if case .failed(.transport) = event { onUnreachable() }
                onChange(scope)
            }
        }
    }
}

/// Stands in when a cluster was never resolved (a bug): every call fails, so the informer backs off visibly.
private struct UnresolvedClusterListerWatcher<Object: KubeResource>: ListerWatcher {
    let cluster: String

    func list(_ options: ListOptions) async throws -> ObjectList<Object> {
        throw KubeClientError.transport(request: "LIST \(Object.resource)", description: "cluster \(cluster) has no client")
    }

    func watch(_ options: WatchOptions) async throws -> AsyncThrowingStream<WatchEvent<Object>, any Error> {
        throw KubeClientError.transport(request: "WATCH \(Object.resource)", description: "cluster \(cluster) has no client")
    }
}
