/// A Kubernetes API object that berth reads: it has metadata and knows where it lives in the API.
public protocol KubeResource: Codable, Sendable {
    /// `""` for the core group, else e.g. `apps`, `discovery.k8s.io`.
    static var apiGroup: String { get }
    /// e.g. `v1`.
    static var apiVersion: String { get }
    /// The resource plural in URLs, e.g. `pods`, `endpointslices`.
    static var resource: String { get }
    /// The `kind`, e.g. `Pod`.
    static var kind: String { get }
    /// Whether objects of this kind live in a namespace.
    static var isNamespaced: Bool { get }

    var metadata: ObjectMeta { get }
}

extension KubeResource {
    public static var isNamespaced: Bool { true }

    /// `v1` for the core group, else `group/version`.
    public static var groupVersion: String {
        apiGroup.isEmpty ? apiVersion : "\(apiGroup)/\(apiVersion)"
    }

    /// The collection path, e.g. `/api/v1/namespaces/shop/pods` or `/apis/apps/v1/deployments` (all namespaces).
    public static func collectionPath(namespace: String?) -> String {
        let root = apiGroup.isEmpty ? "/api/\(apiVersion)" : "/apis/\(apiGroup)/\(apiVersion)"
        if isNamespaced, let namespace {
            return "\(root)/namespaces/\(namespace)/\(resource)"
        }
        return "\(root)/\(resource)"
    }
}
