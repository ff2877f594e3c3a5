import KubeAPI
import KubeClient
import Logging
import Synchronization

/// The observed half of reconcile: shared informers per (cluster, namespace, resource), leased for the
/// forwards that need them and released when none does (docs/architecture.md, invariant 3).
///
/// Every informer event enqueues the forwards that depend on its (cluster, namespace) through `onChange`:
/// the event only says where to look; reconcile reads the stores.
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

    private struct State {
        var pods = LeaseTable<Pod>()
        var services = LeaseTable<Service>()
        var slices = LeaseTable<EndpointSlice>()
        var deployments = LeaseTable<Deployment>()
        var statefulSets = LeaseTable<StatefulSet>()
        var needs: [String: (scope: Scope, resources: Set<Resource>)] = [:]
    }

    let podFactory: InformerFactory<Pod>
    let serviceFactory: InformerFactory<Service>
    let sliceFactory: InformerFactory<EndpointSlice>
    let deploymentFactory: InformerFactory<Deployment>
    let statefulSetFactory: InformerFactory<StatefulSet>
    private let state = Mutex(State())
    private let jobs: AsyncStream<Job>.Continuation
    private let jobStream: AsyncStream<Job>
    private let onChange: @Sendable (Scope) -> Void

    /// Creates the observed state.
    /// - Parameters:
    ///   - clusters: where lister-watchers find each cluster's client (resolved before any lease is taken).
    ///   - onChange: called for every informer event of a scope, usually to enqueue its dependents.
    public init(
        clusters: ClusterRegistry, clock: any Clock<Duration>, logger: Logger,
        onChange: @escaping @Sendable (Scope) -> Void
    ) {
        func factory<Object: KubeResource>(_ type: Object.Type) -> InformerFactory<Object> {
            InformerFactory<Object>(clock: clock, logger: logger) { key in
                guard let client = clusters.resolvedClient(key.cluster) else {
                    return UnresolvedClusterListerWatcher<Object>(cluster: key.cluster)
                }
                return client.listerWatcher(for: Object.self, namespace: key.namespace)
            }
        }
        podFactory = factory(Pod.self)
        serviceFactory = factory(Service.self)
        sliceFactory = factory(EndpointSlice.self)
        deploymentFactory = factory(Deployment.self)
        statefulSetFactory = factory(StatefulSet.self)
        let (stream, continuation) = AsyncStream.makeStream(of: Job.self)
        jobStream = stream
        jobs = continuation
        self.onChange = onChange
    }

    /// The resources a target kind reads; with `localNames` (`names: true`) a statefulset or pod target
    /// also reads services, to know whether its pod has a name under a headless one (docs/local-names.md).
    public static func resources(forTargetKind kind: String, localNames: Bool = false) -> Set<Resource> {
        switch kind {
        case "service": [.pods, .services, .endpointSlices]
        case "deployment": [.pods, .deployments]
        case "statefulset": localNames ? [.pods, .statefulSets, .services] : [.pods, .statefulSets]
        case "pod": localNames ? [.pods, .services] : [.pods]
        default: [.pods]
        }
    }

    /// Makes `forward` depend on exactly these resources of `scope`: leases what is new, releases what it no
    /// longer needs (including all of a previous scope).
    public func require(forward: String, scope: Scope, resources: Set<Resource>) {
        var newJobs: [Job] = []
        state.withLock { state in
            let previous = state.needs[forward]
            if let previous, previous.scope == scope, previous.resources == resources { return }
            state.needs[forward] = (scope, resources)
            for resource in resources where previous?.scope != scope || !(previous?.resources.contains(resource) ?? false) {
                if let job = acquire(resource, scope: scope, forward: forward, in: &state) { newJobs.append(job) }
            }
            if let previous {
                for resource in previous.resources where previous.scope != scope || !resources.contains(resource) {
                    release(resource, scope: previous.scope, forward: forward, in: &state)
                }
            }
        }
        for job in newJobs { jobs.yield(job) }
    }

    /// Releases everything `forward` holds.
    public func release(forward: String) {
        state.withLock { state in
            guard let previous = state.needs.removeValue(forKey: forward) else { return }
            for resource in previous.resources {
                release(resource, scope: previous.scope, forward: forward, in: &state)
            }
        }
    }

    /// The forwards that read `scope`.
    public func dependents(of scope: Scope) -> [String] {
        state.withLock { state in state.needs.filter { $0.value.scope == scope }.map(\.key) }
    }

    /// How many informers are leased now, for status and tests.
    public var informerCount: Int {
        state.withLock { $0.pods.count + $0.services.count + $0.slices.count + $0.deployments.count + $0.statefulSets.count }
    }

    /// The stores `forward` reads, as values; empty arrays for resources it does not lease.
    public func objects(in scope: Scope) -> ObservedObjects {
        state.withLock { state in
            ObservedObjects(
                services: state.services.items(scope), endpointSlices: state.slices.items(scope),
                pods: state.pods.items(scope), deployments: state.deployments.items(scope),
                statefulSets: state.statefulSets.items(scope))
        }
    }

    /// Whether every store of `resources` in `scope` is synced, or why not.
    public func health(of scope: Scope, resources: Set<Resource>) -> Health {
        let statuses: [(Bool, InformerStatus)] = state.withLock { state in
            resources.compactMap { resource -> (Bool, InformerStatus)? in
                switch resource {
                case .pods: state.pods.health(scope)
                case .services: state.services.health(scope)
                case .endpointSlices: state.slices.health(scope)
                case .deployments: state.deployments.health(scope)
                case .statefulSets: state.statefulSets.health(scope)
                }
            }
        }
        for (_, status) in statuses {
            if case .backingOff(let error, _) = status { return .failing(error) }
        }
        return statuses.count == resources.count && statuses.allSatisfy { $0.0 } ? .synced : .syncing
    }

    /// Starts over every informer whose list or watch keeps failing: a fresh informer lists and watches at once.
    ///
    /// After the network settled and the API server answers, waiting out their backoff (up to a jittered 30 s)
    /// would only delay recovery. Healthy informers are left alone: their watches survived. Returns how many
    /// were restarted.
    @discardableResult
    public func restartFailing() -> Int {
        let newJobs: [Job] = state.withLock { state in
            state.pods.restartFailing(factory: podFactory, onChange: onChange)
                + state.services.restartFailing(factory: serviceFactory, onChange: onChange)
                + state.slices.restartFailing(factory: sliceFactory, onChange: onChange)
                + state.deployments.restartFailing(factory: deploymentFactory, onChange: onChange)
                + state.statefulSets.restartFailing(factory: statefulSetFactory, onChange: onChange)
        }
        for job in newJobs { jobs.yield(job) }
        return newJobs.count
    }

    /// Hosts the informer factories and the event subscriptions until cancelled.
    public func run() async {
        await withDiscardingTaskGroup { group in
            group.addTask { try? await self.podFactory.run() }
            group.addTask { try? await self.serviceFactory.run() }
            group.addTask { try? await self.sliceFactory.run() }
            group.addTask { try? await self.deploymentFactory.run() }
            group.addTask { try? await self.statefulSetFactory.run() }
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

    // MARK: - Leasing

    private func acquire(_ resource: Resource, scope: Scope, forward: String, in state: inout State) -> Job? {
        switch resource {
        case .pods: state.pods.acquire(scope, forward: forward, factory: podFactory, onChange: onChange)
        case .services: state.services.acquire(scope, forward: forward, factory: serviceFactory, onChange: onChange)
        case .endpointSlices: state.slices.acquire(scope, forward: forward, factory: sliceFactory, onChange: onChange)
        case .deployments: state.deployments.acquire(scope, forward: forward, factory: deploymentFactory, onChange: onChange)
        case .statefulSets: state.statefulSets.acquire(scope, forward: forward, factory: statefulSetFactory, onChange: onChange)
        }
    }

    private func release(_ resource: Resource, scope: Scope, forward: String, in state: inout State) {
        switch resource {
        case .pods: state.pods.release(scope, forward: forward)
        case .services: state.services.release(scope, forward: forward)
        case .endpointSlices: state.slices.release(scope, forward: forward)
        case .deployments: state.deployments.release(scope, forward: forward)
        case .statefulSets: state.statefulSets.release(scope, forward: forward)
        }
    }
}

/// The leases of one resource type, with the forwards using each.
private struct LeaseTable<Object: KubeResource> {
    var entries: [ObservedState.Scope: (lease: InformerLease<Object>, users: Set<String>)] = [:]

    var count: Int { entries.count }

    /// Leases the informer if this is its first user; returns the subscription job for a new informer.
    mutating func acquire(
        _ scope: ObservedState.Scope, forward: String, factory: InformerFactory<Object>,
        onChange: @escaping @Sendable (ObservedState.Scope) -> Void
    ) -> ObservedState.Job? {
        if entries[scope] != nil {
            entries[scope]!.users.insert(forward)
            return nil
        }
        let lease = factory.acquire(InformerKey(cluster: scope.cluster, namespace: scope.namespace))
        entries[scope] = (lease, [forward])
        return Self.subscription(lease, scope, onChange)
    }

    /// Replaces each backing-off informer by a fresh one; returns the new informers' subscription jobs.
    mutating func restartFailing(
        factory: InformerFactory<Object>, onChange: @escaping @Sendable (ObservedState.Scope) -> Void
    ) -> [ObservedState.Job] {
        var jobs: [ObservedState.Job] = []
        for (scope, entry) in entries {
            guard case .backingOff = entry.lease.informer.status else { continue }
            // The table holds the only lease of its key: releasing stops the old informer (and ends its
            // subscription), so the next acquire makes a new one.
            entry.lease.release()
            let lease = factory.acquire(InformerKey(cluster: scope.cluster, namespace: scope.namespace))
            entries[scope] = (lease, entry.users)
            jobs.append(Self.subscription(lease, scope, onChange))
        }
        return jobs
    }

    /// Every event of the informer wakes the scope's forwards. The factory may start the informer (or share one
    /// that runs) before this subscription exists, so a first list can have been broadcast to nobody: the job
    /// checks `hasSynced` after subscribing, and a store synced by then wakes the scope once more.
    private static func subscription(
        _ lease: InformerLease<Object>, _ scope: ObservedState.Scope, _ onChange: @escaping @Sendable (ObservedState.Scope) -> Void
    ) -> ObservedState.Job {
        let informer = lease.informer
        let events = informer.subscribe()
        return {
            if informer.hasSynced { onChange(scope) }
            for await _ in events { onChange(scope) }
        }
    }

    mutating func release(_ scope: ObservedState.Scope, forward: String) {
        guard var entry = entries[scope] else { return }
        entry.users.remove(forward)
        if entry.users.isEmpty {
            entries[scope] = nil
            entry.lease.release()
        } else {
            entries[scope] = entry
        }
    }

    func items(_ scope: ObservedState.Scope) -> [Object] {
        entries[scope]?.lease.informer.snapshot().items ?? []
    }

    func health(_ scope: ObservedState.Scope) -> (Bool, InformerStatus)? {
        guard let informer = entries[scope]?.lease.informer else { return nil }
        return (informer.hasSynced, informer.status)
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
