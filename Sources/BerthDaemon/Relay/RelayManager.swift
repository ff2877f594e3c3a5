import BerthManifest
import KubeAPI
import KubeClient
import Logging

/// Runs berth's relay pods: one per (cluster, namespace) that some forward needs, created when the first
/// forward asks, replaced when the route set changes, deleted when no forward needs it and when the daemon
/// stops (docs/relay.md, "Lifecycle").
///
/// Forwards report their routes on every reconcile (`assign`), with the pods the informer sees in their
/// namespace; the manager answers with the pod and listen ports to forward to. It only ever touches pods
/// labelled with its own owner.
public actor RelayManager {
    /// A namespace of a cluster: one relay pod at most per scope.
    public typealias Scope = ObservedState.Scope

    /// What a forward gets from `assign`.
    public enum Assignment: Sendable, Hashable {
        /// Forward to this pod; `listenPorts[i]` carries the forward's i-th route.
        case pod(name: String, listenPorts: [Int])
        /// The pod is on its way (created, being replaced, or an old one still terminating).
        case pending(message: String)
        /// The pod cannot be created; `reason` is the status reason (`Forbidden`, …).
        case failed(reason: ForwardReason, message: String)
    }

    private struct ScopeState {
        var client: KubeClient
        var image: String
        var routes: [String: [RelayRoute]] = [:]
        /// Pods this daemon created or adopted here, by name; `true` once the informer has shown it.
        var known: [String: Bool] = [:]
        var desired: String?
    }

    /// The owner id in every pod's `berth.dev/owner` label.
    public nonisolated let owner: String
    private let logger: Logger
    /// Asks for another reconcile of a forward whose relay pod changed under it.
    private let enqueue: @Sendable (String) -> Void
    private var scopes: [Scope: ScopeState] = [:]
    private var scopeOfForward: [String: Scope] = [:]

    /// Creates a manager for `owner`.
    public init(owner: String, logger: Logger, enqueue: @escaping @Sendable (String) -> Void) {
        self.owner = owner
        self.logger = logger
        self.enqueue = enqueue
    }

    /// Records that `forward` needs `routes` in `scope` and answers where they are served.
    /// - Parameter pods: the pods the informer holds for the scope's namespace (synced).
    public func assign(
        forward: String, routes: [RelayRoute], scope: Scope, client: KubeClient, image: String, pods: [Pod]
    ) async -> Assignment {
        if let previous = scopeOfForward[forward], previous != scope { await release(forward: forward) }
        scopeOfForward[forward] = scope
        var state = scopes[scope] ?? ScopeState(client: client, image: image)
        state.client = client
        state.image = image
        state.routes[forward] = routes
        let spec = RelayPodSpec(owner: owner, image: image, namespace: scope.namespace, routes: state.routes.values.flatMap { $0 })
        let changed = state.desired != nil && state.desired != spec.name
        state.desired = spec.name
        scopes[scope] = state
        if changed {
            // The others still point at the pod being replaced.
            for other in state.routes.keys where other != forward { enqueue(other) }
        }
        let listenPorts = routes.map { spec.listenPorts[$0] ?? 0 }
        let own = pods.filter { $0.metadata.labels?[RelayPodSpec.ownerLabel] == owner }

        if let pod = own.first(where: { $0.metadata.name == spec.name }) {
            scopes[scope]?.known[spec.name] = true
            guard !pod.isTerminating else {
                return .pending(message: "relay pod \(spec.name) is terminating; a new one follows")
            }
            if pod.isServing { await deleteReplaced(in: scope, keeping: spec.name, pods: own) }
            return .pod(name: spec.name, listenPorts: listenPorts)
        }
        if scopes[scope]?.known[spec.name] == false {
            return .pending(message: "waiting for relay pod \(spec.name) to appear")
        }
        // Never created, or it was seen and is gone (deleted by someone): create it.
        do {
            _ = try await client.create(spec.pod, namespace: scope.namespace)
            logger.info("relay pod created", metadata: ["pod": "\(scope.namespace)/\(spec.name)", "routes": "\(spec.listenPorts.count)"])
        } catch let error as KubeClientError where error.statusCode == 409 {
            // Ours from before (same owner, same spec: adopted when the informer shows it) or one still going away.
        } catch {
            return Self.failure(error, verb: "create", namespace: scope.namespace)
        }
        scopes[scope]?.known[spec.name] = false
        return .pending(message: "waiting for relay pod \(spec.name) to start")
    }

    /// `forward` no longer needs a relay: the pod goes when no forward of its scope needs it.
    public func release(forward: String) async {
        guard let scope = scopeOfForward.removeValue(forKey: forward), var state = scopes[scope] else { return }
        state.routes[forward] = nil
        if state.routes.isEmpty {
            scopes[scope] = nil
            await delete(Array(state.known.keys), in: scope, client: state.client)
            return
        }
        scopes[scope] = state
        // The remaining forwards move to a pod without this forward's routes.
        for other in state.routes.keys { enqueue(other) }
    }

    /// Deletes every relay pod this daemon runs (`berth down`, SIGTERM).
    public func shutdown() async {
        let all = scopes
        scopes = [:]
        scopeOfForward = [:]
        for (scope, state) in all {
            await delete(Array(state.known.keys), in: scope, client: state.client, gracePeriodSeconds: 0)
        }
    }

    /// At start: deletes this daemon's relay pods (its owner label) in every namespace of `cluster` but `keeping`,
    /// the namespaces where the manifest's forwards need a relay (those adopt or replace theirs). They are orphans
    /// of a run that crashed or was killed while the manifest still used their namespace (docs/relay.md,
    /// "Lifecycle"). Another owner's pods are never listed, so never touched. Without RBAC to list pods in every
    /// namespace this says so in the log and leaves them.
    /// - Returns: the pods deleted, as `namespace/name`.
    @discardableResult
    public func collectOrphans(cluster: String, client: KubeClient, keeping: Set<String>) async -> [String] {
        let selector = [RelayPodSpec.managedByLabel: "berth", RelayPodSpec.ownerLabel: owner]
        let pods: [Pod]
        do {
            pods = try await client.listAll(
                Pod.self, allNamespaces: true, options: ListOptions(labelSelector: selector.labelSelectorQueryValue, limit: 500)
            ).items
        } catch let error as KubeClientError where error.statusCode == 403 {
            logger.notice(
                "cannot list pods in every namespace (forbidden): relay pods an earlier run left in namespaces this manifest no longer uses stay; docs/relay.md says how to delete them",
                metadata: ["cluster": "\(cluster)", "owner": "\(owner)"])
            return []
        } catch {
            logger.warning("relay orphans not looked for", metadata: ["cluster": "\(cluster)", "error": "\(error)"])
            return []
        }
        var deleted: [String] = []
        for pod in pods {
            guard let name = pod.metadata.name, let namespace = pod.metadata.namespace, !keeping.contains(namespace),
                !pod.isTerminating
            else { continue }
            // A forward that came to this namespace since start (a manifest reload) runs its relay here now.
            let scope = Scope(cluster: cluster, namespace: namespace)
            guard scopes[scope] == nil else { continue }
            await delete([name], in: scope, client: client, gracePeriodSeconds: 0)
            deleted.append("\(namespace)/\(name)")
        }
        if !deleted.isEmpty {
            logger.info("relay pods of an earlier run deleted", metadata: ["cluster": "\(cluster)", "pods": "\(deleted.joined(separator: ", "))"])
        }
        return deleted
    }

    /// Once the current pod serves, the owner's other relay pods in the scope (replaced ones, or orphans of an
    /// earlier run with other routes) are deleted.
    private func deleteReplaced(in scope: Scope, keeping name: String, pods: [Pod]) async {
        guard let client = scopes[scope]?.client else { return }
        let stale = pods.compactMap(\.metadata.name).filter { $0 != name }
        let live = pods.filter { !$0.isTerminating }.compactMap(\.metadata.name)
        for old in stale { scopes[scope]?.known[old] = nil }
        await delete(stale.filter(live.contains), in: scope, client: client)
    }

    private func delete(_ names: [String], in scope: Scope, client: KubeClient, gracePeriodSeconds: Int? = nil) async {
        for name in names.sorted() {
            do {
                try await client.deletePod(name: name, namespace: scope.namespace, gracePeriodSeconds: gracePeriodSeconds)
                logger.info("relay pod deleted", metadata: ["pod": "\(scope.namespace)/\(name)"])
            } catch let error as KubeClientError where error.statusCode == 404 {
                continue
            } catch {
                let failure = Self.failure(error, verb: "delete", namespace: scope.namespace)
                logger.warning("relay pod not deleted", metadata: ["pod": "\(scope.namespace)/\(name)", "error": "\(failure)"])
            }
        }
    }

    /// A refusal in words that name the verb: `cannot create pods in namespace shop: forbidden`.
    static func failure(_ error: any Error, verb: String, namespace: String) -> Assignment {
        switch error {
        case let error as KubeClientError where error.statusCode == 403:
            return .failed(reason: .forbidden, message: "cannot \(verb) pods in namespace \(namespace): forbidden (the relay pod needs RBAC \(verb) on pods; docs/relay.md)")
        case let error as KubeClientError where error.statusCode == 401:
            return .failed(reason: .unauthorized, message: "cannot \(verb) pods in namespace \(namespace): unauthorized")
        default:
            return .failed(reason: .relayPodFailed, message: "cannot \(verb) relay pod in namespace \(namespace): \(error)")
        }
    }
}
