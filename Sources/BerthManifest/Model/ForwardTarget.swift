/// What a forward reaches: a Kubernetes object, or a host only the cluster can reach; a manifest names exactly
/// one per forward.
public enum ForwardTarget: Hashable, Sendable {
    /// A Service: its ports map to pod ports through `targetPort`, endpoints come from EndpointSlices.
    case service(String)
    /// One named pod, used while it is Running and Ready.
    case pod(String)
    /// Any ready pod selected by the Deployment's selector.
    case deployment(String)
    /// Any ready pod selected by the StatefulSet's selector.
    case statefulSet(String)
    /// Any ready pod whose labels contain all of these.
    case selector([String: String])
    /// A DNS name or IP address the cluster can reach, through berth's relay pod in the forward's namespace
    /// (docs/relay.md); lowercase, as the manifest check left it.
    case host(String)

    /// The one name the target names (a service's, a pod's, …, a host); nil for a selector, which names labels.
    public var name: String? {
        switch self {
        case .service(let name), .pod(let name), .deployment(let name), .statefulSet(let name), .host(let name): name
        case .selector: nil
        }
    }

    /// The manifest key that declares this kind of target (`service`, `pod`, …).
    public var kind: String {
        switch self {
        case .service: "service"
        case .pod: "pod"
        case .deployment: "deployment"
        case .statefulSet: "statefulset"
        case .selector: "selector"
        case .host: "host"
        }
    }
}

extension ForwardTarget: CustomStringConvertible {
    /// kubectl-like text: `service/web`, `selector/app=api,tier=backend` (keys sorted), `host/db.example.com`.
    public var description: String {
        guard case .selector(let labels) = self else { return "\(kind)/\(name ?? "")" }
        let pairs = labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        return "selector/" + pairs.joined(separator: ",")
    }
}
