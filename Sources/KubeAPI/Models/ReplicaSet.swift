/// An apps/v1 ReplicaSet: the usual owner of a Deployment's pods (seen in `ownerReferences`).
public struct ReplicaSet: KubeResource, Hashable {
    /// `apps`.
    public static let apiGroup = "apps"
    /// `v1`.
    public static let apiVersion = "v1"
    /// `replicasets`.
    public static let resource = "replicasets"
    /// `ReplicaSet`.
    public static let kind = "ReplicaSet"

    /// Object metadata; its owner reference names the Deployment.
    public var metadata: ObjectMeta
    /// Desired state.
    public var spec: WorkloadSpec?
    /// Observed state.
    public var status: WorkloadStatus?

    /// Creates a replica set.
    public init(metadata: ObjectMeta, spec: WorkloadSpec? = nil, status: WorkloadStatus? = nil) {
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }
}

/// The options of a `pods/portforward` request: the pod ports to forward.
public struct PodPortForwardOptions: Codable, Sendable, Hashable {
    /// Pod ports.
    public var ports: [Int]?

    /// Creates options.
    public init(ports: [Int]? = nil) { self.ports = ports }
}
