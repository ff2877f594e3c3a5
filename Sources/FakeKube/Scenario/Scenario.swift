import Foundation
import Yams

/// What a pod's container port does when something connects to its local TCP server.
public enum PortBehaviour: String, Sendable, Codable, CaseIterable {
    /// Answers any HTTP request with JSON naming the pod, namespace and port.
    case http
    /// Sends back every byte it receives.
    case echo
    /// Reads and discards.
    case sink
    /// Streams bytes until the peer goes away.
    case source
}

/// The protocol of a container or Service port.
public enum PortProtocol: String, Sendable, Codable, CaseIterable {
    /// TCP (the default): the port's server is a TCP server with its behaviour.
    case tcp = "TCP"
    /// UDP: the port's server is a UDP echo server (each datagram goes back to its sender).
    case udp = "UDP"
}

/// A Service `targetPort`: a number, or the name of a container port resolved per pod.
public enum TargetPort: Sendable, Hashable, Codable {
    case number(Int)
    case name(String)

    /// Decodes an integer or a string.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let number = try? container.decode(Int.self) {
            self = .number(number)
        } else {
            self = .name(try container.decode(String.self))
        }
    }

    /// Encodes as an integer or a string.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .number(let number): try container.encode(number)
        case .name(let name): try container.encode(name)
        }
    }

    var json: JSON {
        switch self {
        case .number(let number): .int(number)
        case .name(let name): .string(name)
        }
    }
}

/// A fake cluster's contents, as read from a scenario YAML file.
public struct Scenario: Sendable, Codable {
    /// A container port with its behaviour.
    public struct ContainerPort: Sendable, Codable, Hashable {
        /// The port name (what a Service's named targetPort refers to).
        public var name: String?
        /// The container port number (the number clients forward to).
        public var containerPort: Int
        /// What the local server does (TCP ports; a UDP port echoes).
        public var behaviour: PortBehaviour
        /// TCP or UDP.
        public var portProtocol: PortProtocol

        /// A port.
        public init(name: String? = nil, containerPort: Int, behaviour: PortBehaviour = .echo, protocol: PortProtocol = .tcp) {
            self.name = name
            self.containerPort = containerPort
            self.behaviour = behaviour
            self.portProtocol = `protocol`
        }

        enum CodingKeys: String, CodingKey {
            case name, containerPort, behaviour
            case portProtocol = "protocol"
        }

        /// Decodes a port; `behaviour` defaults to `echo`, `protocol` to `TCP`.
        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            name = try container.decodeIfPresent(String.self, forKey: .name)
            containerPort = try container.decode(Int.self, forKey: .containerPort)
            behaviour = try container.decodeIfPresent(PortBehaviour.self, forKey: .behaviour) ?? .echo
            portProtocol = try container.decodeIfPresent(PortProtocol.self, forKey: .portProtocol) ?? .tcp
        }
    }

    /// A container of a pod template.
    public struct Container: Sendable, Codable, Hashable {
        /// The container name.
        public var name: String
        /// Its ports.
        public var ports: [ContainerPort]

        /// A container.
        public init(name: String, ports: [ContainerPort]) {
            self.name = name
            self.ports = ports
        }
    }

    /// A Deployment or StatefulSet.
    public struct Workload: Sendable, Codable, Hashable {
        /// Its name.
        public var name: String
        /// Its namespace (default `default`).
        public var namespace: String
        /// Desired pods.
        public var replicas: Int
        /// Labels of its pods; also its selector.
        public var labels: [String: String]
        /// The containers of each pod.
        public var containers: [Container]
        /// Seconds from a pod's start until it is Ready.
        public var readinessDelay: Double
        /// Seconds from a pod's deletion until its replacement is created.
        public var replacementDelay: Double
        /// Seconds a graceful deletion takes when the client does not say.
        public var terminationGracePeriodSeconds: Int

        /// A workload.
        public init(
            name: String, namespace: String = "default", replicas: Int = 1, labels: [String: String] = [:],
            containers: [Container], readinessDelay: Double = 0, replacementDelay: Double = 0,
            terminationGracePeriodSeconds: Int = 1
        ) {
            self.name = name
            self.namespace = namespace
            self.replicas = replicas
            self.labels = labels.isEmpty ? ["app": name] : labels
            self.containers = containers
            self.readinessDelay = readinessDelay
            self.replacementDelay = replacementDelay
            self.terminationGracePeriodSeconds = terminationGracePeriodSeconds
        }

        enum CodingKeys: String, CodingKey {
            case name, namespace, replicas, labels, containers, readinessDelay, replacementDelay,
                terminationGracePeriodSeconds
        }

        /// Decodes a workload with the defaults above.
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            let name = try c.decode(String.self, forKey: .name)
            self.init(
                name: name,
                namespace: try c.decodeIfPresent(String.self, forKey: .namespace) ?? "default",
                replicas: try c.decodeIfPresent(Int.self, forKey: .replicas) ?? 1,
                labels: try c.decodeIfPresent([String: String].self, forKey: .labels) ?? [:],
                containers: try c.decode([Container].self, forKey: .containers),
                readinessDelay: try c.decodeIfPresent(Double.self, forKey: .readinessDelay) ?? 0,
                replacementDelay: try c.decodeIfPresent(Double.self, forKey: .replacementDelay) ?? 0,
                terminationGracePeriodSeconds: try c.decodeIfPresent(Int.self, forKey: .terminationGracePeriodSeconds)
                    ?? 1)
        }
    }

    /// A Service port.
    public struct ServicePort: Sendable, Codable, Hashable {
        /// The port name (required when there is more than one).
        public var name: String?
        /// The service port number.
        public var port: Int
        /// The container port (number or name); defaults to `port`.
        public var targetPort: TargetPort?
        /// TCP or UDP.
        public var portProtocol: PortProtocol

        /// A service port.
        public init(name: String? = nil, port: Int, targetPort: TargetPort? = nil, protocol: PortProtocol = .tcp) {
            self.name = name
            self.port = port
            self.targetPort = targetPort
            self.portProtocol = `protocol`
        }

        enum CodingKeys: String, CodingKey {
            case name, port, targetPort
            case portProtocol = "protocol"
        }

        /// Decodes a service port; `protocol` defaults to `TCP`.
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            name = try c.decodeIfPresent(String.self, forKey: .name)
            port = try c.decode(Int.self, forKey: .port)
            targetPort = try c.decodeIfPresent(TargetPort.self, forKey: .targetPort)
            portProtocol = try c.decodeIfPresent(PortProtocol.self, forKey: .portProtocol) ?? .tcp
        }
    }

    /// A Service.
    public struct Service: Sendable, Codable, Hashable {
        /// Its name.
        public var name: String
        /// Its namespace (default `default`).
        public var namespace: String
        /// The pod labels it selects.
        public var selector: [String: String]
        /// Its ports.
        public var ports: [ServicePort]
        /// Its annotations (`berth import annotations` reads kftray's and k9s's).
        public var annotations: [String: String]
        /// A headless service (`clusterIP: None`): a StatefulSet of the same name gives each of its pods a
        /// DNS name under it.
        public var headless: Bool

        /// A service.
        public init(
            name: String, namespace: String = "default", selector: [String: String], ports: [ServicePort],
            annotations: [String: String] = [:], headless: Bool = false
        ) {
            self.name = name
            self.namespace = namespace
            self.selector = selector
            self.ports = ports
            self.annotations = annotations
            self.headless = headless
        }

        enum CodingKeys: String, CodingKey { case name, namespace, selector, ports, annotations, headless }

        /// Decodes a service; `namespace` defaults to `default`.
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            name = try c.decode(String.self, forKey: .name)
            namespace = try c.decodeIfPresent(String.self, forKey: .namespace) ?? "default"
            selector = try c.decodeIfPresent([String: String].self, forKey: .selector) ?? [:]
            ports = try c.decode([ServicePort].self, forKey: .ports)
            annotations = try c.decodeIfPresent([String: String].self, forKey: .annotations) ?? [:]
            headless = try c.decodeIfPresent(Bool.self, forKey: .headless) ?? false
        }
    }

    /// A pod that no controller owns.
    public struct Pod: Sendable, Codable, Hashable {
        /// Its name.
        public var name: String
        /// Its namespace (default `default`).
        public var namespace: String
        /// Its labels.
        public var labels: [String: String]
        /// Its containers.
        public var containers: [Container]

        /// A bare pod.
        public init(name: String, namespace: String = "default", labels: [String: String] = [:], containers: [Container]) {
            self.name = name
            self.namespace = namespace
            self.labels = labels
            self.containers = containers
        }

        enum CodingKeys: String, CodingKey { case name, namespace, labels, containers }

        /// Decodes a pod; `namespace` defaults to `default`.
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            name = try c.decode(String.self, forKey: .name)
            namespace = try c.decodeIfPresent(String.self, forKey: .namespace) ?? "default"
            labels = try c.decodeIfPresent([String: String].self, forKey: .labels) ?? [:]
            containers = try c.decode([Container].self, forKey: .containers)
        }
    }

    /// Namespaces to create (those that objects name are created too).
    public var namespaces: [String]
    /// Deployments.
    public var deployments: [Workload]
    /// StatefulSets.
    public var statefulsets: [Workload]
    /// Services.
    public var services: [Service]
    /// Bare pods.
    public var pods: [Pod]

    /// A scenario.
    public init(
        namespaces: [String] = [], deployments: [Workload] = [], statefulsets: [Workload] = [],
        services: [Service] = [], pods: [Pod] = []
    ) {
        self.namespaces = namespaces
        self.deployments = deployments
        self.statefulsets = statefulsets
        self.services = services
        self.pods = pods
    }

    enum CodingKeys: String, CodingKey { case namespaces, deployments, statefulsets, services, pods }

    /// Decodes a scenario; every section is optional.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        namespaces = try c.decodeIfPresent([String].self, forKey: .namespaces) ?? []
        deployments = try c.decodeIfPresent([Workload].self, forKey: .deployments) ?? []
        statefulsets = try c.decodeIfPresent([Workload].self, forKey: .statefulsets) ?? []
        services = try c.decodeIfPresent([Service].self, forKey: .services) ?? []
        pods = try c.decodeIfPresent([Pod].self, forKey: .pods) ?? []
    }

    /// Every namespace the scenario names, declared or used, in order of first mention, `default` first.
    public var allNamespaces: [String] {
        var seen: [String] = []
        let named = ["default"] + namespaces + deployments.map(\.namespace) + statefulsets.map(\.namespace)
            + services.map(\.namespace) + pods.map(\.namespace)
        for namespace in named where !seen.contains(namespace) { seen.append(namespace) }
        return seen
    }
}
