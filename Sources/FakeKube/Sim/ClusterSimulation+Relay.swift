import BerthRelay
import NIOCore

// Relay pods (docs/fake-kube.md, "Relay pods"): a pod labelled as berth's relay runs the real BerthRelay in
// process, and its targets — cluster names, cluster IPs, pod IPs and hosts a test declares — resolve to the
// local servers that stand for them.

extension ClusterSimulation {
    /// The label value that makes a created pod a relay pod (`app.kubernetes.io/name`).
    static let relayName = "berth-relay"

    /// The relay configuration of a submitted pod when it is a relay pod: its first container's `args`.
    /// Returns nil for other pods; throws the relay's own argument error for a relay pod it could not run.
    static func relayConfiguration(of pod: JSON) throws(RelayArgumentError) -> RelayConfiguration? {
        guard pod["metadata"]?["labels"]?["app.kubernetes.io/name"]?.stringValue == relayName else { return nil }
        let arguments = pod["spec"]?["containers"]?.arrayValue?.first?["args"]?.arrayValue?.compactMap(\.stringValue) ?? []
        return try RelayConfiguration(arguments: arguments)
    }

    /// Where a relay's target is in this fake cluster, for TCP or UDP:
    /// - a host a test declared with `FakeKubeServer.setExternalHost`;
    /// - a pod IP: that pod's server for the port;
    /// - `SERVICE.NAMESPACE.svc[.DOMAIN]` or a Service's cluster IP: a Ready pod behind that service port;
    /// nil for anything else (the relay then closes the connection, as for a name that does not resolve).
    func resolveForRelay(host: String, port: Int, kind: RelayConfiguration.Kind) -> SocketAddress? {
        if let external = externalHosts.withLock({ $0["\(host):\(port)"] }) { return external }
        if let uid = state.withLock({ state in state.pods.values.first { $0.ip == host }?.uid }) {
            return serverAddress(podUID: uid, containerPort: port, kind: kind)
        }
        let labels = host.split(separator: ".").map(String.init)
        let service: JSON?
        if labels.count >= 3, labels[2] == "svc" {
            service = store.get(.services, namespace: labels[1], name: labels[0])
        } else {
            service = store.list(.services, namespace: nil).items.first { $0["spec"]?["clusterIP"]?.stringValue == host }
        }
        guard let service else { return nil }
        return serviceBackend(service, port: port, kind: kind)
    }

    private func serviceBackend(_ service: JSON, port: Int, kind: RelayConfiguration.Kind) -> SocketAddress? {
        let wanted = kind == .udp ? PortProtocol.udp.rawValue : PortProtocol.tcp.rawValue
        guard
            let servicePort = service["spec"]?["ports"]?.arrayValue?.first(where: {
                $0["port"]?.intValue == port && ($0["protocol"]?.stringValue ?? PortProtocol.tcp.rawValue) == wanted
            })
        else { return nil }
        let name = servicePort["name"]?.stringValue ?? ""
        let namespace = service["metadata"]?["namespace"]?.stringValue ?? "default"
        let pods = store.list(.pods, namespace: namespace).items
        for endpoint in EndpointsBuilder.podEndpoints(service: service, pods: pods) where endpoint.ready {
            guard let uid = endpoint.pod["metadata"]?["uid"]?.stringValue,
                let target = endpoint.ports.first(where: { $0.name == name })?.port,
                let address = serverAddress(podUID: uid, containerPort: target, kind: kind)
            else { continue }
            return address
        }
        return nil
    }

    private func serverAddress(podUID: String, containerPort: Int, kind: RelayConfiguration.Kind) -> SocketAddress? {
        kind == .udp
            ? servers.udpAddress(podUID: podUID, containerPort: containerPort)
            : servers.address(podUID: podUID, containerPort: containerPort)
    }
}
