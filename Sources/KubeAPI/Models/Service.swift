/// A core/v1 Service (docs/informers.md, "Objects berth reads").
public struct Service: KubeResource, Hashable {
    /// Core group.
    public static let apiGroup = ""
    /// `v1`.
    public static let apiVersion = "v1"
    /// `services`.
    public static let resource = "services"
    /// `Service`.
    public static let kind = "Service"

    /// Object metadata.
    public var metadata: ObjectMeta
    /// Desired state.
    public var spec: ServiceSpec?

    /// Creates a service.
    public init(metadata: ObjectMeta, spec: ServiceSpec? = nil) {
        self.metadata = metadata
        self.spec = spec
    }
}

/// `spec` of a service.
public struct ServiceSpec: Codable, Sendable, Hashable {
    /// Equality selector; empty or missing means no managed endpoints.
    public var selector: [String: String]?
    /// Service ports.
    public var ports: [ServicePort]?
    /// `None` for a headless service.
    public var clusterIP: String?
    /// `ClusterIP`, `NodePort`, `LoadBalancer` or `ExternalName`.
    public var type: String?
    /// Publish not-ready pods as ready.
    public var publishNotReadyAddresses: Bool?
    /// The DNS name of an `ExternalName` service.
    public var externalName: String?

    /// Creates a service spec.
    public init(
        selector: [String: String]? = nil, ports: [ServicePort]? = nil, clusterIP: String? = nil,
        type: String? = nil, publishNotReadyAddresses: Bool? = nil
    ) {
        self.selector = selector
        self.ports = ports
        self.clusterIP = clusterIP
        self.type = type
        self.publishNotReadyAddresses = publishNotReadyAddresses
    }
}

/// One port of a service.
public struct ServicePort: Codable, Sendable, Hashable {
    /// Required when the service has more than one port.
    public var name: String?
    /// `TCP` when omitted.
    public var `protocol`: String?
    /// The service port.
    public var port: Int
    /// The pod port: a number, or a container port name; defaults to `port`.
    public var targetPort: IntOrString?
    /// The node port, when allocated.
    public var nodePort: Int?
    /// An application protocol hint.
    public var appProtocol: String?

    /// Creates a service port.
    public init(name: String? = nil, protocol: String? = nil, port: Int, targetPort: IntOrString? = nil) {
        self.name = name
        self.protocol = `protocol`
        self.port = port
        self.targetPort = targetPort
    }
}

extension Service {
    /// A headless service (`clusterIP: None`) maps ports unchanged.
    public var isHeadless: Bool { spec?.clusterIP == "None" }

    /// Finds a port entry by number or by name (docs/informers.md, "Picking a pod for a service port", step 1).
    public func port(_ reference: IntOrString) -> ServicePort? {
        switch reference {
        case .int(let number): spec?.ports?.first { $0.port == number }
        case .string(let name): spec?.ports?.first { $0.name == name }
        }
    }

    /// Finds a port entry by number or by name among those of `protocol` (an unset protocol is TCP): kube-dns
    /// has port 53 twice, UDP and TCP, and a forward wants the one it can carry.
    public func port(_ reference: IntOrString, protocol wanted: String) -> ServicePort? {
        spec?.ports?.first { port in
            guard (port.protocol ?? "TCP") == wanted else { return false }
            return switch reference {
            case .int(let number): port.port == number
            case .string(let name): port.name == name
            }
        }
    }
}

extension ServicePort {
    /// `targetPort`, where an unset or zero number means "same as `port`".
    public var effectiveTargetPort: IntOrString {
        switch targetPort {
        case .none, .int(0): .int(port)
        case .some(let value): value
        }
    }
}
