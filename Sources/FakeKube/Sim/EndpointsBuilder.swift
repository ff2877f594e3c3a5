/// Derives a Service's EndpointSlices and Endpoints from pod state, the way the endpointslice and
/// endpoints controllers do (docs/informers.md, "Objects berth reads"). Pure: the simulation stores what this returns.
enum EndpointsBuilder {
    /// One pod as an endpoint, with the service ports it resolves.
    struct PodEndpoint {
        var pod: JSON
        var ip: String
        var ready: Bool
        var serving: Bool
        var terminating: Bool
        /// (service port name, resolved container port, protocol), in service-port order.
        var ports: [PortMapping]
    }

    struct PortMapping: Hashable {
        var name: String
        var port: Int
        /// The service port's protocol (`TCP` when unset), which the slices and Endpoints repeat.
        var `protocol` = "TCP"
    }

    static let serviceNameLabel = "kubernetes.io/service-name"

    /// The pods that belong in the service's endpoints, with their conditions and port mapping.
    static func podEndpoints(service: JSON, pods: [JSON]) -> [PodEndpoint] {
        let selector = service["spec"]?["selector"]?.stringMap ?? [:]
        guard !selector.isEmpty else { return [] }
        let publishNotReady = service["spec"]?["publishNotReadyAddresses"]?.boolValue ?? false
        let servicePorts = service["spec"]?["ports"]?.arrayValue ?? []
        var result: [PodEndpoint] = []
        for pod in pods {
            let labels = pod["metadata"]?["labels"]?.stringMap ?? [:]
            guard LabelSelector(matchLabels: selector).matches(labels) else { continue }
            let phase = pod["status"]?["phase"]?.stringValue ?? ""
            guard phase != "Succeeded", phase != "Failed", let ip = pod["status"]?["podIP"]?.stringValue else { continue }
            let podReady = (pod["status"]?["conditions"]?.arrayValue ?? []).contains {
                $0["type"]?.stringValue == "Ready" && $0["status"]?.stringValue == "True"
            }
            let terminating = pod["metadata"]?["deletionTimestamp"] != nil
            var ports: [PortMapping] = []
            for servicePort in servicePorts {
                let name = servicePort["name"]?.stringValue ?? ""
                let number = servicePort["port"]?.intValue ?? 0
                let portProtocol = servicePort["protocol"]?.stringValue ?? "TCP"
                switch servicePort["targetPort"] {
                case .some(.string(let portName)):
                    if let resolved = containerPort(named: portName, protocol: portProtocol, in: pod) {
                        ports.append(PortMapping(name: name, port: resolved, protocol: portProtocol))
                    }
                case .some(let target) where (target.intValue ?? 0) > 0:
                    ports.append(PortMapping(name: name, port: target.intValue!, protocol: portProtocol))
                default:
                    ports.append(PortMapping(name: name, port: number, protocol: portProtocol))
                }
            }
            result.append(
                PodEndpoint(
                    pod: pod, ip: ip, ready: publishNotReady || (podReady && !terminating), serving: podReady,
                    terminating: terminating, ports: ports))
        }
        return result.sorted { podName($0.pod) < podName($1.pod) }
    }

    /// The EndpointSlices of a service: one per distinct port mapping, or one empty slice when no pod qualifies.
    static func slices(service: JSON, pods: [JSON]) -> [JSON] {
        let serviceName = service["metadata"]?["name"]?.stringValue ?? ""
        let namespace = service["metadata"]?["namespace"]?.stringValue ?? "default"
        let endpoints = podEndpoints(service: service, pods: pods)
        var groups: [[PortMapping]: [PodEndpoint]] = [:]
        var order: [[PortMapping]] = []
        for endpoint in endpoints {
            if groups[endpoint.ports] == nil { order.append(endpoint.ports) }
            groups[endpoint.ports, default: []].append(endpoint)
        }
        func metadata(_ mapping: [PortMapping]?) -> JSON {
            let suffix = mapping.map { shortHash($0.map { "\($0.name)=\($0.port)" }.joined(separator: ",")) } ?? "empty"
            return [
                "name": .string("\(serviceName)-\(suffix)"),
                "namespace": .string(namespace),
                "labels": [
                    serviceNameLabel: .string(serviceName),
                    "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io",
                ],
                "ownerReferences": [
                    [
                        "apiVersion": "v1", "kind": "Service", "name": .string(serviceName),
                        "uid": service["metadata"]?["uid"] ?? "", "controller": true, "blockOwnerDeletion": true,
                    ]
                ],
            ]
        }
        guard !order.isEmpty else {
            return [["metadata": metadata(nil), "addressType": "IPv4", "endpoints": []]]
        }
        return order.map { mapping in
            [
                "metadata": metadata(mapping),
                "addressType": "IPv4",
                "endpoints": .array(
                    groups[mapping]!.map { endpoint in
                        [
                            "addresses": [.string(endpoint.ip)],
                            "conditions": [
                                "ready": .bool(endpoint.ready), "serving": .bool(endpoint.serving),
                                "terminating": .bool(endpoint.terminating),
                            ],
                            "nodeName": endpoint.pod["spec"]?["nodeName"] ?? .null,
                            "targetRef": targetRef(endpoint.pod),
                        ]
                    }),
                "ports": .array(mapping.map(\.json)),
            ]
        }
    }

    /// The legacy Endpoints object: ready pods in `addresses`, not-ready ones in `notReadyAddresses`,
    /// terminating ones left out (unless publishNotReadyAddresses).
    static func endpoints(service: JSON, pods: [JSON]) -> JSON {
        let serviceName = service["metadata"]?["name"]?.stringValue ?? ""
        let namespace = service["metadata"]?["namespace"]?.stringValue ?? "default"
        let publishNotReady = service["spec"]?["publishNotReadyAddresses"]?.boolValue ?? false
        var groups: [[PortMapping]: (ready: [JSON], notReady: [JSON])] = [:]
        var order: [[PortMapping]] = []
        for endpoint in podEndpoints(service: service, pods: pods) where !endpoint.terminating || publishNotReady {
            if groups[endpoint.ports] == nil {
                order.append(endpoint.ports)
                groups[endpoint.ports] = ([], [])
            }
            let address: JSON = [
                "ip": .string(endpoint.ip), "nodeName": endpoint.pod["spec"]?["nodeName"] ?? .null,
                "targetRef": targetRef(endpoint.pod),
            ]
            if endpoint.ready {
                groups[endpoint.ports]!.ready.append(address)
            } else {
                groups[endpoint.ports]!.notReady.append(address)
            }
        }
        var object: JSON = [
            "metadata": [
                "name": .string(serviceName), "namespace": .string(namespace),
                "labels": [serviceNameLabel: .string(serviceName)],
            ]
        ]
        if !order.isEmpty {
            object["subsets"] = .array(
                order.map { mapping in
                    var subset: JSON = [
                        "ports": .array(mapping.map(\.json))
                    ]
                    if !groups[mapping]!.ready.isEmpty { subset["addresses"] = .array(groups[mapping]!.ready) }
                    if !groups[mapping]!.notReady.isEmpty { subset["notReadyAddresses"] = .array(groups[mapping]!.notReady) }
                    return subset
                })
        }
        return object
    }

    /// The number of a pod's container port with this name and protocol (`TCP` when unset), or nil: the
    /// endpoint controllers match both, so a UDP port never answers a TCP service port of the same name.
    static func containerPort(named name: String, protocol wanted: String, in pod: JSON) -> Int? {
        for container in pod["spec"]?["containers"]?.arrayValue ?? [] {
            for port in container["ports"]?.arrayValue ?? []
            where port["name"]?.stringValue == name && (port["protocol"]?.stringValue ?? "TCP") == wanted {
                return port["containerPort"]?.intValue
            }
        }
        return nil
    }

    static func targetRef(_ pod: JSON) -> JSON {
        [
            "kind": "Pod", "name": pod["metadata"]?["name"] ?? "", "namespace": pod["metadata"]?["namespace"] ?? "",
            "uid": pod["metadata"]?["uid"] ?? "",
        ]
    }

    static func podName(_ pod: JSON) -> String { pod["metadata"]?["name"]?.stringValue ?? "" }

    /// Five lowercase characters derived from `text` (stable names for slices and pod template hashes).
    static func shortHash(_ text: String, length: Int = 5) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x100_0000_01b3
        }
        let alphabet = Array("bcdfghjklmnpqrstvwxz2456789")
        var result = ""
        for _ in 0..<length {
            result.append(alphabet[Int(hash % UInt64(alphabet.count))])
            hash /= UInt64(alphabet.count)
        }
        return result
    }
}

extension EndpointsBuilder.PortMapping {
    /// The port as an EndpointSlice or Endpoints subset lists it.
    var json: JSON { ["name": .string(name), "port": .int(port), "protocol": .string(`protocol`)] }
}
