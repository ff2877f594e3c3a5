import Foundation

/// The JSON shapes of the objects the simulation creates, as a real cluster would show them.
enum ObjectBuilders {
    static let nodeName = "fake-node-1"

    static func namespace(_ name: String) -> JSON {
        [
            "metadata": ["name": .string(name), "labels": ["kubernetes.io/metadata.name": .string(name)]],
            "spec": ["finalizers": ["kubernetes"]],
            "status": ["phase": "Active"],
        ]
    }

    static func containers(_ containers: [Scenario.Container]) -> JSON {
        .array(
            containers.map { container in
                [
                    "name": .string(container.name),
                    "image": "berth.invalid/fake:latest",
                    "ports": .array(
                        container.ports.map { port in
                            var json: JSON = ["containerPort": .int(port.containerPort), "protocol": .string(port.portProtocol.rawValue)]
                            if let name = port.name { json["name"] = .string(name) }
                            return json
                        }),
                ]
            })
    }

    static func selector(_ labels: [String: String]) -> JSON {
        ["matchLabels": .stringMap(labels)]
    }

    static func workload(kind: ResourceKind, _ spec: Scenario.Workload, replicas: Int) -> JSON {
        var specJSON: JSON = [
            "replicas": .int(replicas),
            "selector": selector(spec.labels),
            "template": [
                "metadata": ["labels": .stringMap(spec.labels)],
                "spec": [
                    "containers": containers(spec.containers),
                    "terminationGracePeriodSeconds": .int(spec.terminationGracePeriodSeconds),
                ],
            ],
        ]
        if kind == .statefulsets { specJSON["serviceName"] = .string(spec.name) }
        return [
            "metadata": [
                "name": .string(spec.name), "namespace": .string(spec.namespace), "labels": .stringMap(spec.labels),
                "generation": 1,
            ],
            "spec": specJSON,
            "status": ["replicas": 0, "readyReplicas": 0, "availableReplicas": 0, "observedGeneration": 1],
        ]
    }

    static func service(_ service: Scenario.Service, clusterIP: String) -> JSON {
        var metadata: JSON = ["name": .string(service.name), "namespace": .string(service.namespace)]
        if !service.annotations.isEmpty { metadata["annotations"] = .stringMap(service.annotations) }
        return [
            "metadata": metadata,
            "spec": [
                "type": "ClusterIP",
                "clusterIP": .string(clusterIP),
                "clusterIPs": [.string(clusterIP)],
                "selector": .stringMap(service.selector),
                "ports": .array(
                    service.ports.map { port in
                        var json: JSON = [
                            "port": .int(port.port), "protocol": .string(port.portProtocol.rawValue),
                            "targetPort": (port.targetPort ?? .number(port.port)).json,
                        ]
                        if let name = port.name { json["name"] = .string(name) }
                        return json
                    }),
            ],
            "status": ["loadBalancer": .emptyObject],
        ]
    }

    static func pod(
        name: String, namespace: String, labels: [String: String], containers: [Scenario.Container],
        owner: (kind: String, name: String, uid: String)?, gracePeriod: Int, hostname: (name: String, subdomain: String)?
    ) -> JSON {
        var metadata: JSON = ["name": .string(name), "namespace": .string(namespace), "labels": .stringMap(labels)]
        if let owner {
            metadata["ownerReferences"] = [
                [
                    "apiVersion": "apps/v1", "kind": .string(owner.kind), "name": .string(owner.name),
                    "uid": .string(owner.uid), "controller": true, "blockOwnerDeletion": true,
                ]
            ]
        }
        var spec: JSON = [
            "containers": Self.containers(containers),
            "nodeName": .string(nodeName),
            "terminationGracePeriodSeconds": .int(gracePeriod),
            "restartPolicy": "Always",
        ]
        if let hostname {
            spec["hostname"] = .string(hostname.name)
            spec["subdomain"] = .string(hostname.subdomain)
        }
        return [
            "metadata": metadata,
            "spec": spec,
            "status": [
                "phase": "Pending",
                "conditions": [["type": "PodScheduled", "status": "True"]],
            ],
        ]
    }

    /// The status of a running pod with the given readiness.
    static func runningStatus(
        ip: String, ready: Bool, containers: [Scenario.Container], startTime: String, transitionTime: String
    ) -> JSON {
        let readiness: JSON = .string(ready ? "True" : "False")
        return [
            "phase": "Running",
            "hostIP": "172.18.0.2",
            "podIP": .string(ip),
            "podIPs": [["ip": .string(ip)]],
            "startTime": .string(startTime),
            "conditions": [
                ["type": "Initialized", "status": "True", "lastTransitionTime": .string(startTime)],
                ["type": "Ready", "status": readiness, "lastTransitionTime": .string(transitionTime)],
                ["type": "ContainersReady", "status": readiness, "lastTransitionTime": .string(transitionTime)],
                ["type": "PodScheduled", "status": "True", "lastTransitionTime": .string(startTime)],
            ],
            "containerStatuses": .array(
                containers.map { container in
                    [
                        "name": .string(container.name), "ready": .bool(ready), "restartCount": 0,
                        "started": true, "image": "berth.invalid/fake:latest",
                        "imageID": "", "state": ["running": ["startedAt": .string(startTime)]],
                    ]
                }),
        ]
    }
}
