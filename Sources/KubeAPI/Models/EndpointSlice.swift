/// A discovery.k8s.io/v1 EndpointSlice (docs/informers.md, "Objects berth reads"). A service may have several.
public struct EndpointSlice: KubeResource, Hashable {
    /// `discovery.k8s.io`.
    public static let apiGroup = "discovery.k8s.io"
    /// `v1`.
    public static let apiVersion = "v1"
    /// `endpointslices`.
    public static let resource = "endpointslices"
    /// `EndpointSlice`.
    public static let kind = "EndpointSlice"
    /// The label joining slices to their service.
    public static let serviceNameLabel = "kubernetes.io/service-name"

    /// Object metadata.
    public var metadata: ObjectMeta
    /// `IPv4`, `IPv6` or `FQDN`.
    public var addressType: String?
    /// The endpoints.
    public var endpoints: [Endpoint]?
    /// Ports, already resolved to pod port numbers; names equal service port names.
    public var ports: [EndpointPort]?

    /// Creates a slice.
    public init(metadata: ObjectMeta, addressType: String? = nil, endpoints: [Endpoint]? = nil, ports: [EndpointPort]? = nil) {
        self.metadata = metadata
        self.addressType = addressType
        self.endpoints = endpoints
        self.ports = ports
    }

    /// The service this slice belongs to (its `kubernetes.io/service-name` label).
    public var serviceName: String? { metadata.labels?[Self.serviceNameLabel] }
}

/// One endpoint of a slice.
public struct Endpoint: Codable, Sendable, Hashable {
    /// Addresses (usually one).
    public var addresses: [String]
    /// Readiness; each field has a documented default when nil.
    public var conditions: EndpointConditions?
    /// The pod's hostname, if set.
    public var hostname: String?
    /// The pod behind the endpoint.
    public var targetRef: ObjectReference?
    /// The node hosting it.
    public var nodeName: String?
    /// The zone.
    public var zone: String?

    /// Creates an endpoint.
    public init(addresses: [String], conditions: EndpointConditions? = nil, targetRef: ObjectReference? = nil, nodeName: String? = nil) {
        self.addresses = addresses
        self.conditions = conditions
        self.targetRef = targetRef
        self.nodeName = nodeName
    }

    /// `ready` with its nil default (true).
    public var isReady: Bool { conditions?.ready ?? true }
    /// `serving` with its nil default (true).
    public var isServing: Bool { conditions?.serving ?? true }
    /// `terminating` with its nil default (false).
    public var isTerminating: Bool { conditions?.terminating ?? false }
}

/// `conditions` of an endpoint. Nil means the default documented on each accessor of `Endpoint`.
public struct EndpointConditions: Codable, Sendable, Hashable {
    /// Ready for new traffic.
    public var ready: Bool?
    /// Passing readiness, even while terminating.
    public var serving: Bool?
    /// The pod is shutting down.
    public var terminating: Bool?

    /// Creates conditions.
    public init(ready: Bool? = nil, serving: Bool? = nil, terminating: Bool? = nil) {
        self.ready = ready
        self.serving = serving
        self.terminating = terminating
    }
}
