import BerthManifest
import KubeAPI
import KubeClient

/// The pod a forward reaches and the container port of each of its port mappings (same order).
public struct ResolvedEndpoint: Sendable, Hashable {
    /// The pod's name.
    public var pod: String
    /// The pod's UID; a pod recreated under the same name is another endpoint.
    public var uid: String
    /// The container port per port mapping of the spec, in the spec's order.
    public var containerPorts: [Int]
    /// The pod's name under its headless service (`postgres-0.postgres`), when it has one: the cluster
    /// resolves it with the namespace and `svc.<cluster domain>` after it (docs/local-names.md).
    public var podDomainName: String?
    /// The UID the pods store holds for that name when it is not `uid`, the one the EndpointSlice names: the two
    /// come from separate watches, and either may lag behind a pod deleted and made again under its name (a
    /// StatefulSet's). Connections made meanwhile reached whichever pod had the name, so they count as to a live
    /// pod while either UID is.
    public var otherUID: String?

    /// Creates a resolved endpoint.
    public init(pod: String, uid: String, containerPorts: [Int], podDomainName: String? = nil, otherUID: String? = nil) {
        self.pod = pod
        self.uid = uid
        self.containerPorts = containerPorts
        self.podDomainName = podDomainName
        self.otherUID = otherUID
    }

    /// The endpoint without `otherUID`: which UID the pods store holds beside the slice's changes nothing a forward
    /// or its user sees.
    var withoutOtherUID: ResolvedEndpoint {
        var endpoint = self
        endpoint.otherUID = nil
        return endpoint
    }
}

/// The outcome of resolving a forward's target against the observed cluster.
public enum TargetResolution: Sendable, Hashable {
    /// Connections go to this pod.
    case endpoint(ResolvedEndpoint)
    /// No pod can be used now (`notFound`, `noReadyEndpoints`, `servicePortNotFound`, `namedPortNotFound`,
    /// `noSelector`); `message` says why in words a user can act on.
    case unresolved(ForwardReason, message: String)
}

/// Picks the pod and container ports for a forward (docs/informers.md, "Picking a pod for a service port").
///
/// Pure: it reads only its arguments, so reconcile can call it on every pass and tests can table it.
public enum TargetResolver {
    /// Resolves `target` and `ports` in `namespace`.
    /// - Parameter current: the pod the forward uses now; kept while it stays ready (stickiness), so a
    ///   scale-up never moves a working forward.
    public static func resolve(
        target: ForwardTarget, ports: [PortMapping], namespace: String, observed: ObservedObjects, current: String? = nil
    ) -> TargetResolution {
        let resolution = resolveTarget(target, ports: ports, namespace: namespace, observed: observed, current: current)
        guard case .endpoint(var endpoint) = resolution else { return resolution }
        endpoint.podDomainName = observed.podsByName[endpoint.pod].flatMap { podDomainName($0, services: observed.servicesByName) }
        return .endpoint(endpoint)
    }

    /// `hostname.subdomain` of a pod whose `subdomain` names a headless service of its namespace, as the
    /// cluster's DNS gives it; nil for any other pod.
    static func podDomainName(_ pod: Pod, services: [String: Service]) -> String? {
        guard let hostname = pod.spec?.hostname, !hostname.isEmpty, let subdomain = pod.spec?.subdomain, !subdomain.isEmpty,
              services[subdomain]?.isHeadless == true
        else { return nil }
        return "\(hostname).\(subdomain)"
    }

    private static func resolveTarget(
        _ target: ForwardTarget, ports: [PortMapping], namespace: String, observed: ObservedObjects, current: String?
    ) -> TargetResolution {
        switch target {
        case .service(let name):
            return resolveService(name, ports: ports, namespace: namespace, observed: observed, current: current)
        case .pod(let name):
            guard let pod = observed.podsByName[name] else {
                return .unresolved(.notFound, message: "pod \"\(name)\" not found in namespace \(namespace)")
            }
            guard pod.isServing else {
                let phase = pod.status?.phase ?? "Unknown"
                let state = pod.isTerminating ? "terminating" : (pod.isRunning ? "Running but not Ready" : "in phase \(phase)")
                return .unresolved(.noReadyEndpoints, message: "pod \"\(name)\" is \(state)")
            }
            return podEndpoint(pod, ports: ports.map(\.remote), description: "pod/\(name)")
        case .deployment(let name):
            guard let deployment = observed.deploymentsByName[name] else {
                return .unresolved(.notFound, message: "deployment \"\(name)\" not found in namespace \(namespace)")
            }
            return resolveSelector(deployment.spec?.selector, of: "deployment/\(name)", ports: ports, observed: observed, current: current)
        case .statefulSet(let name):
            guard let set = observed.statefulSetsByName[name] else {
                return .unresolved(.notFound, message: "statefulset \"\(name)\" not found in namespace \(namespace)")
            }
            return resolveSelector(set.spec?.selector, of: "statefulset/\(name)", ports: ports, observed: observed, current: current)
        case .selector(let labels):
            return resolveSelector(LabelSelector(matchLabels: labels), of: target.description, ports: ports, observed: observed, current: current)
        case .host(let host):
            // A host is reached through the relay pod, which the reconciler resolves as a pod target.
            return .unresolved(.notFound, message: "host \(host) is reached through berth's relay pod, not resolved against the cluster")
        }
    }

    // MARK: - Pods by selector

    private static func resolveSelector(
        _ selector: LabelSelector?, of description: String, ports: [PortMapping], observed: ObservedObjects, current: String?
    ) -> TargetResolution {
        guard let selector, !selector.isEmpty else {
            return .unresolved(.noSelector, message: "\(description) has no pod selector")
        }
        let candidates = observed.pods.filter { selector.matches($0.metadata.labels) && $0.isServing }
        return pickPod(candidates, remotes: ports.map(\.remote), description: description, current: current)
    }

    /// Chooses among serving pods: the current one if still there, else the longest-ready; then resolves ports.
    private static func pickPod(_ candidates: [Pod], remotes: [RemotePort], description: String, current: String?) -> TargetResolution {
        guard !candidates.isEmpty else {
            return .unresolved(.noReadyEndpoints, message: "no Running and Ready pod behind \(description)")
        }
        var lastFailure: TargetResolution?
        for pod in ordered(candidates, current: current) {
            let result = podEndpoint(pod, ports: remotes, description: description)
            if case .endpoint = result { return result }
            lastFailure = lastFailure ?? result
        }
        return lastFailure!
    }

    /// Current pod first, then ready-longest (oldest `Ready` transition), then oldest creation, then name.
    static func ordered(_ pods: [Pod], current: String?) -> [Pod] {
        pods.sorted { a, b in
            let aCurrent = a.metadata.name == current, bCurrent = b.metadata.name == current
            if aCurrent != bCurrent { return aCurrent }
            let aReady = a.readySince ?? "~", bReady = b.readySince ?? "~"
            if aReady != bReady { return aReady < bReady }
            let aCreated = a.metadata.creationTimestamp ?? "~", bCreated = b.metadata.creationTimestamp ?? "~"
            if aCreated != bCreated { return aCreated < bCreated }
            return (a.metadata.name ?? "") < (b.metadata.name ?? "")
        }
    }

    /// Resolves each remote port against the pod's containers: numbers as they are, names with protocol TCP.
    private static func podEndpoint(_ pod: Pod, ports: [RemotePort], description: String) -> TargetResolution {
        let name = pod.metadata.name ?? ""
        var numbers: [Int] = []
        for remote in ports {
            switch remote {
            case .number(let number):
                numbers.append(number)
            case .name(let portName):
                guard let number = pod.containerPort(named: portName, protocol: "TCP") else {
                    return .unresolved(.namedPortNotFound, message: "pod \"\(name)\" (\(description)) has no TCP container port named \"\(portName)\"")
                }
                numbers.append(number)
            }
        }
        return .endpoint(ResolvedEndpoint(pod: name, uid: pod.metadata.uid ?? "", containerPorts: numbers))
    }
}
