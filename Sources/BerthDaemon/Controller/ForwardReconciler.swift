import BerthManifest
import BerthMetrics
import Foundation
import KubeClient
import Logging
import NIOCore
import NIOPosix
import Reconcile

/// Converges one forward, by name: reads the desired spec (the manifest) and the observed stores, then
/// creates, keeps, moves or closes its listeners, points them at the chosen pod, and writes its status.
///
/// One key is never reconciled twice at once (the controller guarantees it), so each forward's entry is only
/// touched by its own reconcile; entries of other forwards may change across every `await`, never this one.
public actor ForwardReconciler: Reconciler {
    /// The forward's name.
    public typealias Key = String

    /// One bound local port of a forward.
    struct RunningPort {
        var address: String
        /// The address as the manifest says it: `localhost` and `127.0.0.1` bind the same socket, but only
        /// `localhost` adds `::1`, so an edit from one to the other rebuilds the port.
        var requestedAddress: String
        var requestedLocal: Int
        var remote: RemotePort
        var hold: Duration
        var warm: Int?
        /// The cluster (context name) and the transport setting the port's connector was made with.
        var cluster: String
        var transport: TransportChoice
        var forward: Forward
        var handle: ForwardSupervisor.Handle
        /// More listeners on the same port: `localhost` also binds `::1` beside `127.0.0.1`.
        var siblings: [(forward: Forward, handle: ForwardSupervisor.Handle)] = []

        /// Every listener of this port; they share the endpoint.
        var forwards: [Forward] { [forward] + siblings.map(\.forward) }

        /// Closes every listener of this port.
        func stop() async {
            await handle.stop()
            for sibling in siblings { await sibling.handle.stop() }
        }
    }

    /// One bound local UDP port of a forward through the relay.
    struct RunningUDPPort {
        var requestedAddress: String
        var requestedLocal: Int
        var port: UDPRelayPort
    }

    /// What reconcile knows about one forward between passes.
    struct Entry {
        var ports: [RunningPort?] = []
        /// The UDP ports, by their place in the spec's `ports` (whose TCP slot stays nil).
        var udpPorts: [Int: RunningUDPPort] = [:]
        var endpoint: ResolvedEndpoint?
        /// The last endpoint the forward had, kept while it has none: the next one, if another, is a rebind.
        var lastEndpoint: ResolvedEndpoint?
        var unresolvedSince: Duration?
        var lastError: String?
        /// Looks taken at a forward that stayed Failed without an endpoint; sets its next retry delay.
        var failedRetries = 0
        /// When streams to the chosen pod started failing (reset when they work or the pod changes).
        var upstreamFailingSince: Duration?
        /// Whether `apiServerUnreachable` was told of the forward's current unreachable spell.
        var unreachableSaid = false
        /// The last few endpoints that had two UIDs (`ResolvedEndpoint.otherUID`): a connection to either counts as
        /// to a live pod while the other is live (`closeConnectionsToGonePods`).
        var uidPairs: [(String, String)] = []
    }

    /// How soon a forward Failed for want of an endpoint is looked at again. An informer event usually comes
    /// first; the retry recovers it should that event be missed, without waiting for the periodic resync.
    static let failedRetry = ExponentialBackoff(base: .seconds(1), cap: .seconds(30))

    let desired: ManifestSource
    let observed: ObservedState
    let clusters: ClusterRegistry
    let supervisor: ForwardSupervisor
    let statuses: StatusStore
    let eventLoopGroup: any EventLoopGroup
    /// The daemon's clock, handed to every forward (holds, warm stream ages, retries).
    let clock: any Clock<Duration>
    /// The same clock as offsets, for the hold after which an endpoint-less forward turns Failed.
    let elapsed: ElapsedClock
    let logger: Logger
    /// Where forwards count (docs/metrics.md).
    let metrics: BerthMetrics
    /// Asks for another reconcile of a forward whose upstream started or stopped failing.
    let upstreamChanged: @Sendable (String) -> Void
    /// Told once per forward when its streams start failing because the API server cannot be reached, so the
    /// daemon can restart streams and watches as soon as it answers again rather than after their backoffs.
    let apiServerUnreachable: @Sendable () -> Void
    /// The relay pods that carry `host` targets and UDP ports (docs/relay.md).
    let relays: RelayManager
    var entries: [String: Entry] = [:]
    /// Times each forward moved to another pod since the daemon started, kept when it leaves the manifest as
    /// `berth_rebinds_total` is: the status reports it, so the dashboard and the metric show one count.
    var rebindCounts: [String: Int] = [:]

    /// Creates the reconciler.
    /// - Parameters:
    ///   - clock: times the hold after which an endpoint-less forward turns Failed, and every forward's holds,
    ///     warm stream ages and retries.
    ///   - metrics: where the forwards' phases, rebinds and connections are counted.
    ///   - upstreamChanged: enqueues a forward whose streams to the pod started or stopped failing.
    ///   - relays: runs the relay pods of forwards that need one; a manager of its own (owner `test`) when nil.
    ///   - apiServerUnreachable: told when a forward's streams start failing because the API server cannot be
    ///     reached (docs/controller.md, "When the API server cannot be reached").
    public init(
        desired: ManifestSource, observed: ObservedState, clusters: ClusterRegistry, supervisor: ForwardSupervisor,
        statuses: StatusStore, eventLoopGroup: any EventLoopGroup, clock: any Clock<Duration>,
        metrics: BerthMetrics = BerthMetrics(), logger: Logger, upstreamChanged: @escaping @Sendable (String) -> Void = { _ in },
        relays: RelayManager? = nil, apiServerUnreachable: @escaping @Sendable () -> Void = {}
    ) {
        self.metrics = metrics
        self.apiServerUnreachable = apiServerUnreachable
        self.upstreamChanged = upstreamChanged
        self.relays = relays ?? RelayManager(owner: "test", logger: logger, enqueue: upstreamChanged)
        self.desired = desired
        self.observed = observed
        self.clusters = clusters
        self.supervisor = supervisor
        self.statuses = statuses
        self.eventLoopGroup = eventLoopGroup
        self.clock = clock
        self.elapsed = ElapsedClock(clock)
        self.logger = logger
    }

    /// Converges forward `name`.
    public func reconcile(_ name: String) async -> ReconcileResult {
        let manifest = desired.current
        if manifest[name].map({ !$0.enabled || !$0.needsRelay }) ?? true {
            await relays.release(forward: name)
        }
        guard let spec = manifest[name] else {
            await tearDown(name)
            observed.release(forward: name)
            statuses.remove(name)
            metrics.removePhase(of: name, among: ForwardPhase.allCases.map(\.rawValue))
            entries[name] = nil
            logger.info("forward removed", metadata: ["forward": "\(name)"])
            return .done
        }
        guard spec.enabled else {
            await tearDown(name)
            observed.release(forward: name)
            publish(baseStatus(spec, cluster: spec.context, namespace: spec.namespace ?? "", phase: .disabled))
            return .done
        }

        let cluster: ClusterRegistry.Cluster
        do {
            cluster = try await clusters.cluster(context: spec.context)
        } catch {
            let message = "cannot use the kubeconfig: \(error)"
            record(name, error: message)
            publish(failed(spec, cluster: spec.context, namespace: spec.namespace ?? "", reason: .kubeconfigInvalid, message: message))
            return .error(BerthDaemonError.clusterUnavailable(forward: name, context: spec.context, reason: "\(error)"))
        }
        let namespace = spec.namespace ?? cluster.client.namespace
        let scope = ObservedState.Scope(cluster: cluster.id, namespace: namespace)
        let resources = ObservedState.resources(for: spec.target, localNames: spec.names)
        observed.require(forward: name, scope: scope, resources: resources)

        if let failure = await converge(listenersOf: spec, cluster: cluster, namespace: namespace) {
            record(name, error: failure.message)
            publish(failed(spec, cluster: cluster.id, namespace: namespace, reason: failure.reason, message: failure.message))
            return .error(BerthDaemonError.listenFailed(forward: name, reason: failure.message))
        }

        var health = observed.health(of: scope, resources: resources)
        // Taken after the health check: an informer leased anew in between (its last user let go, another took
        // it) has an empty store the snapshot says is not synced, and the forward waits for its list as for a
        // first one.
        let objects = observed.objects(in: scope)
        if case .synced = health, !objects.synced.isSuperset(of: resources) { health = .syncing }
        switch health {
        case .syncing:
            publish(status(spec, cluster: cluster.id, namespace: namespace, phase: .pending,
                                   reason: .cacheSyncing, message: "waiting for the first list of \(scope)"))
            return .done  // the informers' first list enqueues this forward again
        case .failing(let error):
            let (reason, message) = Self.describe(error, server: cluster.connectionInfo.server.url)
            record(name, error: message)
            // A watch that fails says nothing about the pod: connections open to it keep working through a VPN
            // flap or an API server restart, and survive if the same pod is chosen again. New ones are held.
            await clearEndpoint(name, reason: message)
            publish(failed(spec, cluster: cluster.id, namespace: namespace, reason: reason, message: message))
            return .error(BerthDaemonError.observeFailed(forward: name, reason: message))
        case .synced:
            break
        }

        await closeConnectionsToGonePods(name, objects: objects)
        var target = spec.target
        var ports = spec.ports
        if spec.needsRelay {
            switch await relayTarget(spec, cluster: cluster, namespace: namespace, objects: objects, defaults: manifest.defaults) {
            case .target(let relayPod, let relayPorts):
                target = relayPod
                ports = relayPorts
            case .unresolved(let reason, let message):
                return await unresolved(spec, cluster: cluster.id, namespace: namespace, reason: reason, message: message)
            case .pending(let message):
                return await relayPending(spec, cluster: cluster.id, namespace: namespace, message: message)
            case .failed(let reason, let message):
                await clearEndpoint(name, reason: message)
                record(name, error: message)
                publish(failed(spec, cluster: cluster.id, namespace: namespace, reason: reason, message: message))
                let retries = entries[name, default: Entry()].failedRetries
                entries[name, default: Entry()].failedRetries = retries + 1
                return .requeueAfter(Self.failedRetry.delay(afterFailures: retries))
            }
        }
        let resolution = TargetResolver.resolve(
            target: target, ports: ports, namespace: namespace,
            observed: objects, current: entries[name]?.endpoint?.pod)
        switch resolution {
        case .endpoint(let endpoint):
            await setEndpoint(name, endpoint, namespace: namespace)
            guard let failure = await upstreamFailure(of: name) else {
                entries[name]?.upstreamFailingSince = nil
                entries[name]?.unreachableSaid = false
                publish(status(spec, cluster: cluster.id, namespace: namespace, phase: .ready))
                return .done
            }
            record(name, error: failure.message)
            if let recheck = rebindingFor(failure, of: name) {
                // Most likely the pod is going away and the watch has not said so yet: not for a person to fix.
                publish(status(spec, cluster: cluster.id, namespace: namespace, phase: .rebinding, reason: failure.reason, message: failure.message))
                return .requeueAfter(recheck)
            }
            publish(failed(spec, cluster: cluster.id, namespace: namespace, reason: failure.reason, message: failure.message))
            return .done  // the forward enqueues it again when its streams work
        case .unresolved(let reason, let message):
            return await unresolved(spec, cluster: cluster.id, namespace: namespace, reason: reason, message: message)
        }
    }

    /// No endpoint: hold new connections for the hold window (Pending or Rebinding), then report Failed.
    private func unresolved(
        _ spec: ForwardSpec, cluster: String, namespace: String, reason: ForwardReason, message: String
    ) async -> ReconcileResult {
        let name = spec.name
        let hadEndpoint = entries[name]?.endpoint != nil
        await clearEndpoint(name, reason: message)
        let now = elapsed.now()
        let since = entries[name]?.unresolvedSince ?? now
        entries[name, default: Entry()].unresolvedSince = since
        let waited = now - since
        if waited < spec.hold {
            let phase: ForwardPhase = hadEndpoint || statuses.forward(name)?.phase == .rebinding ? .rebinding : .pending
            publish(status(spec, cluster: cluster, namespace: namespace, phase: phase, reason: reason, message: message))
            // Look again when the hold runs out, unless an informer event comes first.
            return .requeueAfter(spec.hold - waited)
        }
        record(name, error: message)
        publish(failed(spec, cluster: cluster, namespace: namespace, reason: reason, message: message))
        let retries = entries[name, default: Entry()].failedRetries
        entries[name, default: Entry()].failedRetries = retries + 1
        return .requeueAfter(Self.failedRetry.delay(afterFailures: retries))
    }

    /// The relay pod is on its way: new connections are held as for a pod that is not ready yet.
    private func relayPending(_ spec: ForwardSpec, cluster: String, namespace: String, message: String) async -> ReconcileResult {
        let hadEndpoint = entries[spec.name]?.endpoint != nil
        await clearEndpoint(spec.name, reason: message)
        let phase: ForwardPhase = hadEndpoint || statuses.forward(spec.name)?.phase == .rebinding ? .rebinding : .pending
        publish(status(spec, cluster: cluster, namespace: namespace, phase: phase, reason: .relayStarting, message: message))
        // The pod's informer events usually come first; this covers a creation the informer never shows.
        return .requeueAfter(.seconds(2))
    }

    // MARK: - Endpoint

    private func setEndpoint(_ name: String, _ endpoint: ResolvedEndpoint, namespace: String) async {
        let previous = entries[name]?.endpoint
        entries[name, default: Entry()].endpoint = endpoint
        entries[name, default: Entry()].unresolvedSince = nil
        entries[name, default: Entry()].failedRetries = 0
        // Another pod (a StatefulSet's replacement keeps the name, not the UID).
        if let last = entries[name]?.lastEndpoint, last.uid != endpoint.uid {
            rebindCounts[name, default: 0] += 1
            ForwardMetrics.rebinds(of: name, factory: metrics.factory).increment()
        }
        entries[name, default: Entry()].lastEndpoint = endpoint
        if let other = endpoint.otherUID, entries[name]?.uidPairs.contains(where: { $0 == (endpoint.uid, other) }) == false {
            entries[name]?.uidPairs.append((endpoint.uid, other))
            if let count = entries[name]?.uidPairs.count, count > Self.uidPairsKept {
                entries[name]?.uidPairs.removeFirst(count - Self.uidPairsKept)
            }
        }
        if previous?.withoutOtherUID != endpoint.withoutOtherUID {
            entries[name]?.upstreamFailingSince = nil
            logger.info("endpoint chosen", metadata: ["forward": "\(name)", "pod": "\(endpoint.pod)"])
        }
        for (index, port) in (entries[name]?.ports ?? []).enumerated() {
            guard let port, index < endpoint.containerPorts.count else { continue }
            let upstream = UpstreamEndpoint(
                namespace: namespace, podName: endpoint.pod, podUID: endpoint.uid, port: endpoint.containerPorts[index])
            for forward in port.forwards { await forward.setEndpoint(upstream) }
        }
        for (index, udp) in entries[name]?.udpPorts ?? [:] where index < endpoint.containerPorts.count {
            udp.port.setEndpoint(UpstreamEndpoint(
                namespace: namespace, podName: endpoint.pod, podUID: endpoint.uid, port: endpoint.containerPorts[index]))
        }
    }

    private func clearEndpoint(_ name: String, reason: String) async {
        entries[name]?.endpoint = nil
        for forward in entries[name]?.ports.flatMap({ $0?.forwards ?? [] }) ?? [] {
            await forward.clearEndpoint(reason: reason)
        }
        for udp in (entries[name]?.udpPorts ?? [:]).values { udp.port.clearEndpoint() }
    }

    private func record(_ name: String, error: String) {
        entries[name, default: Entry()].lastError = error
    }

    /// Maps an informer failure to a status reason: RBAC denials name the verb and resource, an API server that
    /// does not answer is named by its URL (docs/cli-forward.md).
    static func describe(_ error: KubeClientError, server: String) -> (reason: ForwardReason, message: String) {
        switch error {
        case .api(let status, _, _) where status.code == 403:
            return (.forbidden, "forbidden: \(status.message ?? "list/watch denied")")
        case .api(let status, _, _) where status.code == 401:
            return (.unauthorized, "unauthorized: the API server rejected the credentials")
        case .transport(_, let description):
            return (.clusterUnreachable, "cannot reach the cluster at \(server): \(description)")
        default:
            return (.observeFailed, "\(error)")
        }
    }
}
