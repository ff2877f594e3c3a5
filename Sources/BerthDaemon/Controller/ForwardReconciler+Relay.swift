import BerthManifest
import KubeAPI
import Reconcile

extension ForwardReconciler {
    /// What a forward through the relay resolves instead of its own target: the relay pod and its listen ports,
    /// or what to report while there is none.
    enum RelayOutcome {
        case target(ForwardTarget, [PortMapping])
        case unresolved(ForwardReason, message: String)
        case pending(message: String)
        case failed(reason: ForwardReason, message: String)
    }

    /// Asks the relay manager for the pod that carries `spec`'s ports in `namespace` (docs/relay.md).
    func relayTarget(
        _ spec: ForwardSpec, cluster: ClusterRegistry.Cluster, namespace: String, objects: ObservedObjects, defaults: ManifestDefaults
    ) async -> RelayOutcome {
        let routes: [RelayRoute]
        switch Self.relayRoutes(spec, namespace: namespace, observed: objects, clusterDomain: defaults.clusterDomain) {
        case .success(let found): routes = found
        case .failure(let problem): return problem.outcome
        }
        let assignment = await relays.assign(
            forward: spec.name, routes: routes, scope: ObservedState.Scope(cluster: cluster.id, namespace: namespace),
            client: cluster.client, image: defaults.relayImage, pods: objects.pods)
        switch assignment {
        case .pod(let name, let listenPorts):
            let ports = zip(spec.ports, listenPorts).map { PortMapping(local: $0.local, remote: .number($1), protocol: $0.protocol) }
            return .target(.pod(name), ports)
        case .pending(let message): return .pending(message: message)
        case .failed(let reason, let message): return .failed(reason: reason, message: message)
        }
    }

    /// Why a forward's routes cannot be named yet.
    struct RouteProblem: Error {
        var outcome: RelayOutcome
    }

    /// Where the relay sends each of the forward's ports: the host itself, a service's cluster DNS name and
    /// service port, or the IP address and container port of the pod a direct forward would pick. Every port of a
    /// forward through the relay goes through it, TCP ones too.
    static func relayRoutes(
        _ spec: ForwardSpec, namespace: String, observed: ObservedObjects, clusterDomain: String
    ) -> Result<[RelayRoute], RouteProblem> {
        switch spec.target {
        case .host(let host):
            return .success(spec.ports.enumerated().compactMap { index, mapping in
                guard case .number(let port) = mapping.remote else { return nil }  // the manifest check refuses names
                return RelayRoute(forward: spec.name, index: index, protocol: mapping.protocol, host: host, port: port)
            })
        case .service(let name):
            guard let service = observed.services.first(where: { $0.metadata.name == name }) else {
                return .failure(RouteProblem(outcome: .unresolved(.notFound, message: "service \"\(name)\" not found in namespace \(namespace)")))
            }
            var routes: [RelayRoute] = []
            for (index, mapping) in spec.ports.enumerated() {
                let wanted = mapping.protocol == .udp ? "UDP" : "TCP"
                let reference: IntOrString = switch mapping.remote {
                case .number(let number): .int(number)
                case .name(let portName): .string(portName)
                }
                let port = service.spec?.ports?.first {
                    ($0.protocol ?? "TCP") == wanted && (reference == .int($0.port) || reference == .string($0.name ?? ""))
                }
                guard let port else {
                    let message = "service \"\(name)\" has no \(wanted) port \(mapping.remote)"
                    return .failure(RouteProblem(outcome: .unresolved(.servicePortNotFound, message: message)))
                }
                routes.append(RelayRoute(
                    forward: spec.name, index: index, protocol: mapping.protocol, host: "\(name).\(namespace).svc.\(clusterDomain)", port: port.port))
            }
            return .success(routes)
        case .pod, .deployment, .statefulSet, .selector:
            return podRoutes(spec, namespace: namespace, observed: observed)
        }
    }

    /// The routes to the pod a direct forward would pick, by its IP: another pod there means another relay pod.
    private static func podRoutes(_ spec: ForwardSpec, namespace: String, observed: ObservedObjects) -> Result<[RelayRoute], RouteProblem> {
        let pick = TargetResolver.resolve(target: spec.target, ports: [], namespace: namespace, observed: observed)
        let chosen: ResolvedEndpoint
        switch pick {
        case .endpoint(let endpoint): chosen = endpoint
        case .unresolved(let reason, let message): return .failure(RouteProblem(outcome: .unresolved(reason, message: message)))
        }
        guard let pod = observed.pods.first(where: { $0.metadata.uid == chosen.uid }), let ip = pod.status?.podIP, !ip.isEmpty else {
            return .failure(RouteProblem(outcome: .unresolved(.noReadyEndpoints, message: "pod \"\(chosen.pod)\" has no IP address yet")))
        }
        var routes: [RelayRoute] = []
        for (index, mapping) in spec.ports.enumerated() {
            let wanted = mapping.protocol == .udp ? "UDP" : "TCP"
            let port: Int
            switch mapping.remote {
            case .number(let number): port = number
            case .name(let portName):
                guard let number = pod.containerPort(named: portName, protocol: wanted) else {
                    let message = "pod \"\(chosen.pod)\" (\(spec.target)) has no \(wanted) container port named \"\(portName)\""
                    return .failure(RouteProblem(outcome: .unresolved(.namedPortNotFound, message: message)))
                }
                port = number
            }
            routes.append(RelayRoute(forward: spec.name, index: index, protocol: mapping.protocol, host: ip, port: port))
        }
        return .success(routes)
    }
}
