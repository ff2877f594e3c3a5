/// A core/v1 Pod: what berth needs to pick a forward target (docs/informers.md, "Objects berth reads").
public struct Pod: KubeResource, Hashable {
    /// Core group.
    public static let apiGroup = ""
    /// `v1`.
    public static let apiVersion = "v1"
    /// `pods`.
    public static let resource = "pods"
    /// `Pod`.
    public static let kind = "Pod"

    /// Object metadata.
    public var metadata: ObjectMeta
    /// Desired state; omitted in bookmarks.
    public var spec: PodSpec?
    /// Observed state.
    public var status: PodStatus?

    /// Creates a pod.
    public init(metadata: ObjectMeta, spec: PodSpec? = nil, status: PodStatus? = nil) {
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }
}

/// `spec` of a pod.
public struct PodSpec: Codable, Sendable, Hashable {
    /// The app containers.
    public var containers: [Container]?
    /// Init containers; those with `restartPolicy: Always` are sidecars that may serve ports.
    public var initContainers: [Container]?
    /// The node the pod is bound to; port-forward needs one.
    public var nodeName: String?
    /// Whether the pod uses the node's network.
    public var hostNetwork: Bool?

    /// Creates a pod spec.
    public init(containers: [Container]? = nil, initContainers: [Container]? = nil, nodeName: String? = nil, hostNetwork: Bool? = nil) {
        self.containers = containers
        self.initContainers = initContainers
        self.nodeName = nodeName
        self.hostNetwork = hostNetwork
    }
}

/// One container of a pod spec.
public struct Container: Codable, Sendable, Hashable {
    /// The container name.
    public var name: String
    /// The image.
    public var image: String?
    /// Declared ports; named ports resolve Service `targetPort` names.
    public var ports: [ContainerPort]?
    /// `Always` marks a sidecar init container.
    public var restartPolicy: String?

    /// Creates a container.
    public init(name: String, image: String? = nil, ports: [ContainerPort]? = nil, restartPolicy: String? = nil) {
        self.name = name
        self.image = image
        self.ports = ports
        self.restartPolicy = restartPolicy
    }
}

/// A declared container port.
public struct ContainerPort: Codable, Sendable, Hashable {
    /// An IANA_SVC_NAME, unique in the pod.
    public var name: String?
    /// The port number in the pod.
    public var containerPort: Int
    /// `TCP` when omitted.
    public var `protocol`: String?
    /// A host port, rarely set.
    public var hostPort: Int?
    /// The host IP to bind the host port to.
    public var hostIP: String?

    /// Creates a container port.
    public init(name: String? = nil, containerPort: Int, protocol: String? = nil) {
        self.name = name
        self.containerPort = containerPort
        self.protocol = `protocol`
    }
}

/// `status` of a pod.
public struct PodStatus: Codable, Sendable, Hashable {
    /// `Pending`, `Running`, `Succeeded`, `Failed` or `Unknown`.
    public var phase: String?
    /// Conditions; `Ready` is the readiness signal.
    public var conditions: [Condition]?
    /// The primary pod IP.
    public var podIP: String?
    /// All pod IPs (dual stack).
    public var podIPs: [PodIP]?
    /// The node's IP.
    public var hostIP: String?
    /// When the kubelet started the pod (RFC 3339).
    public var startTime: String?
    /// Per-container state; restart counts order candidate pods.
    public var containerStatuses: [ContainerStatus]?
    /// A brief reason when the pod is in a notable state (e.g. `Evicted`).
    public var reason: String?
    /// A human message for `reason`.
    public var message: String?

    /// Creates a pod status.
    public init(
        phase: String? = nil, conditions: [Condition]? = nil, podIP: String? = nil, podIPs: [PodIP]? = nil,
        startTime: String? = nil, containerStatuses: [ContainerStatus]? = nil
    ) {
        self.phase = phase
        self.conditions = conditions
        self.podIP = podIP
        self.podIPs = podIPs
        self.startTime = startTime
        self.containerStatuses = containerStatuses
    }
}

/// One entry of `status.podIPs`.
public struct PodIP: Codable, Sendable, Hashable {
    /// The address.
    public var ip: String?

    /// Creates a pod IP entry.
    public init(ip: String?) { self.ip = ip }
}

/// The observed state of one container; berth reads readiness and restarts only.
public struct ContainerStatus: Codable, Sendable, Hashable {
    /// The container name.
    public var name: String
    /// Whether its readiness probe passes.
    public var ready: Bool?
    /// How often it restarted.
    public var restartCount: Int?
    /// Whether it has started.
    public var started: Bool?

    /// Creates a container status.
    public init(name: String, ready: Bool? = nil, restartCount: Int? = nil, started: Bool? = nil) {
        self.name = name
        self.ready = ready
        self.restartCount = restartCount
        self.started = started
    }
}
