import NIOCore

// `GET /fake/v1/pods`: where each pod's servers really listen. Pod IPs are data only, so a benchmark or a
// test that wants to reach a pod directly (the "direct" peer) needs the local addresses, which no
// Kubernetes object carries.

/// The pods of the fake cluster with, for every container port, its behaviour and local TCP server.
struct PodInventory {
    let store: ObjectStore
    let simulation: ClusterSimulation

    /// `{"kind":"FakePodList","items":[…]}`, in namespace/name order; only `namespace`'s pods when given.
    func json(namespace: String?) -> JSON {
        let pods = store.list(.pods, namespace: namespace).items.sorted { Self.key($0) < Self.key($1) }
        return ["kind": "FakePodList", "apiVersion": "fake/v1", "items": .array(pods.map(entry))]
    }

    private static func key(_ pod: JSON) -> String {
        "\(pod["metadata"]?["namespace"]?.stringValue ?? "")/\(pod["metadata"]?["name"]?.stringValue ?? "")"
    }

    private func entry(_ pod: JSON) -> JSON {
        let namespace = pod["metadata"]?["namespace"]?.stringValue ?? ""
        let name = pod["metadata"]?["name"]?.stringValue ?? ""
        let uid = pod["metadata"]?["uid"]?.stringValue ?? ""
        let ready = (pod["status"]?["conditions"]?.arrayValue ?? []).contains {
            $0["type"]?.stringValue == "Ready" && $0["status"]?.stringValue == "True"
        }
        var ports: [JSON] = []
        for container in simulation.containers(namespace: namespace, name: name, uid: uid) ?? [] {
            for port in container.ports {
                // A pod whose servers are not bound yet (or already closed) has no local address: null.
                let local = simulation.localAddress(podUID: uid, containerPort: port.containerPort)
                    .flatMap { address in address.port.map { "\(address.ipAddress ?? "127.0.0.1"):\($0)" } }
                ports.append([
                    "container": .string(container.name),
                    "name": port.name.map(JSON.string) ?? .null,
                    "containerPort": .int(port.containerPort),
                    "behaviour": .string(port.behaviour.rawValue),
                    "local": local.map(JSON.string) ?? .null,
                ])
            }
        }
        return [
            "namespace": .string(namespace),
            "name": .string(name),
            "uid": .string(uid),
            "phase": .string(pod["status"]?["phase"]?.stringValue ?? "Pending"),
            "ready": .bool(ready),
            "terminating": .bool(pod["metadata"]?["deletionTimestamp"] != nil),
            "ports": .array(ports),
        ]
    }
}
