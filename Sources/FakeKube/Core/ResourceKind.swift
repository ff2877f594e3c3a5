/// The resources the fake API server serves, with the names they go by on the wire.
public enum ResourceKind: String, Sendable, CaseIterable, Hashable {
    case pods, services, endpoints, endpointslices, deployments, statefulsets, namespaces

    /// The `kind` of one object.
    public var kind: String {
        switch self {
        case .pods: "Pod"
        case .services: "Service"
        case .endpoints: "Endpoints"
        case .endpointslices: "EndpointSlice"
        case .deployments: "Deployment"
        case .statefulsets: "StatefulSet"
        case .namespaces: "Namespace"
        }
    }

    /// The API group; empty for the core group.
    public var group: String {
        switch self {
        case .pods, .services, .endpoints, .namespaces: ""
        case .endpointslices: "discovery.k8s.io"
        case .deployments, .statefulsets: "apps"
        }
    }

    /// `v1` for every served resource.
    public var version: String { "v1" }

    /// `v1` or `GROUP/v1`.
    public var apiVersion: String { group.isEmpty ? version : "\(group)/\(version)" }

    /// Whether objects live in a namespace.
    public var namespaced: Bool { self != .namespaces }

    /// The singular lower-case name discovery advertises.
    public var singular: String { kind.lowercased() }

    /// kubectl's short names, advertised by discovery.
    public var shortNames: [String] {
        switch self {
        case .pods: ["po"]
        case .services: ["svc"]
        case .endpoints: ["ep"]
        case .endpointslices: []
        case .deployments: ["deploy"]
        case .statefulsets: ["sts"]
        case .namespaces: ["ns"]
        }
    }

    /// The resource for `(group, plural)` from a URL path.
    public static func find(group: String, plural: String) -> ResourceKind? {
        allCases.first { $0.group == group && $0.rawValue == plural }
    }
}
