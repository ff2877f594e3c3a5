/// A core/v1 Endpoints object (deprecated in 1.33+; a fallback for servers without EndpointSlices).
public struct Endpoints: KubeResource, Hashable {
    /// Core group.
    public static let apiGroup = ""
    /// `v1`.
    public static let apiVersion = "v1"
    /// `endpoints`.
    public static let resource = "endpoints"
    /// `Endpoints`.
    public static let kind = "Endpoints"

    /// Object metadata; the name equals the service's.
    public var metadata: ObjectMeta
    /// Groups of addresses sharing a port set.
    public var subsets: [EndpointSubset]?

    /// Creates an Endpoints object.
    public init(metadata: ObjectMeta, subsets: [EndpointSubset]? = nil) {
        self.metadata = metadata
        self.subsets = subsets
    }
}

/// A set of addresses with the same ports.
public struct EndpointSubset: Codable, Sendable, Hashable {
    /// Ready addresses.
    public var addresses: [EndpointAddress]?
    /// Addresses not ready yet (or not any more).
    public var notReadyAddresses: [EndpointAddress]?
    /// The ports, already resolved to pod port numbers.
    public var ports: [EndpointPort]?

    /// Creates a subset.
    public init(addresses: [EndpointAddress]? = nil, notReadyAddresses: [EndpointAddress]? = nil, ports: [EndpointPort]? = nil) {
        self.addresses = addresses
        self.notReadyAddresses = notReadyAddresses
        self.ports = ports
    }
}

/// One address of a subset.
public struct EndpointAddress: Codable, Sendable, Hashable {
    /// The pod IP.
    public var ip: String
    /// The pod's hostname, if set.
    public var hostname: String?
    /// The pod's node.
    public var nodeName: String?
    /// The pod behind the address.
    public var targetRef: ObjectReference?

    /// Creates an address.
    public init(ip: String, hostname: String? = nil, nodeName: String? = nil, targetRef: ObjectReference? = nil) {
        self.ip = ip
        self.hostname = hostname
        self.nodeName = nodeName
        self.targetRef = targetRef
    }
}

/// A port of an Endpoints subset or an EndpointSlice.
public struct EndpointPort: Codable, Sendable, Hashable {
    /// Equals the service port's name (`""` or absent when unnamed).
    public var name: String?
    /// The resolved pod port number.
    public var port: Int?
    /// `TCP` when omitted.
    public var `protocol`: String?
    /// An application protocol hint.
    public var appProtocol: String?

    /// Creates a port.
    public init(name: String? = nil, port: Int? = nil, protocol: String? = nil) {
        self.name = name
        self.port = port
        self.protocol = `protocol`
    }
}
