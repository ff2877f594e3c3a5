/// An apps/v1 Deployment; berth forwards to any ready pod its selector matches.
public struct Deployment: KubeResource, Hashable {
    /// `apps`.
    public static let apiGroup = "apps"
    /// `v1`.
    public static let apiVersion = "v1"
    /// `deployments`.
    public static let resource = "deployments"
    /// `Deployment`.
    public static let kind = "Deployment"

    /// Object metadata.
    public var metadata: ObjectMeta
    /// Desired state.
    public var spec: WorkloadSpec?
    /// Observed state.
    public var status: WorkloadStatus?

    /// Creates a deployment.
    public init(metadata: ObjectMeta, spec: WorkloadSpec? = nil, status: WorkloadStatus? = nil) {
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }
}

/// An apps/v1 StatefulSet; berth forwards to any ready pod its selector matches.
public struct StatefulSet: KubeResource, Hashable {
    /// `apps`.
    public static let apiGroup = "apps"
    /// `v1`.
    public static let apiVersion = "v1"
    /// `statefulsets`.
    public static let resource = "statefulsets"
    /// `StatefulSet`.
    public static let kind = "StatefulSet"

    /// Object metadata.
    public var metadata: ObjectMeta
    /// Desired state.
    public var spec: WorkloadSpec?
    /// Observed state.
    public var status: WorkloadStatus?

    /// Creates a stateful set.
    public init(metadata: ObjectMeta, spec: WorkloadSpec? = nil, status: WorkloadStatus? = nil) {
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }
}

/// The part of a Deployment or StatefulSet spec berth reads; both kinds share these fields.
public struct WorkloadSpec: Codable, Sendable, Hashable {
    /// Desired pod count.
    public var replicas: Int?
    /// Which pods belong to the workload.
    public var selector: LabelSelector?
    /// The pod template; its container ports resolve named ports before any pod exists.
    public var template: PodTemplateSpec?
    /// A StatefulSet's governing service.
    public var serviceName: String?

    /// Creates a workload spec.
    public init(replicas: Int? = nil, selector: LabelSelector? = nil, template: PodTemplateSpec? = nil) {
        self.replicas = replicas
        self.selector = selector
        self.template = template
    }
}

/// A pod template.
public struct PodTemplateSpec: Codable, Sendable, Hashable {
    /// Template metadata (labels).
    public var metadata: ObjectMeta?
    /// The pod spec.
    public var spec: PodSpec?

    /// Creates a template.
    public init(metadata: ObjectMeta? = nil, spec: PodSpec? = nil) {
        self.metadata = metadata
        self.spec = spec
    }
}

/// The part of a Deployment or StatefulSet status berth reads.
public struct WorkloadStatus: Codable, Sendable, Hashable {
    /// The generation the controller last acted on.
    public var observedGeneration: Int64?
    /// Existing pods.
    public var replicas: Int?
    /// Ready pods.
    public var readyReplicas: Int?
    /// Available pods.
    public var availableReplicas: Int?
    /// Pods at the latest revision.
    public var updatedReplicas: Int?
    /// Conditions such as `Available`.
    public var conditions: [Condition]?

    /// Creates a workload status.
    public init(replicas: Int? = nil, readyReplicas: Int? = nil, availableReplicas: Int? = nil) {
        self.replicas = replicas
        self.readyReplicas = readyReplicas
        self.availableReplicas = availableReplicas
    }
}

/// A core/v1 Namespace.
public struct Namespace: KubeResource, Hashable {
    /// Core group.
    public static let apiGroup = ""
    /// `v1`.
    public static let apiVersion = "v1"
    /// `namespaces`.
    public static let resource = "namespaces"
    /// `Namespace`.
    public static let kind = "Namespace"
    /// Namespaces are cluster-scoped.
    public static let isNamespaced = false

    /// Object metadata.
    public var metadata: ObjectMeta
    /// Observed state.
    public var status: NamespaceStatus?

    /// Creates a namespace.
    public init(metadata: ObjectMeta, status: NamespaceStatus? = nil) {
        self.metadata = metadata
        self.status = status
    }
}

/// `status` of a namespace.
public struct NamespaceStatus: Codable, Sendable, Hashable {
    /// `Active` or `Terminating`.
    public var phase: String?

    /// Creates a namespace status.
    public init(phase: String? = nil) { self.phase = phase }
}
