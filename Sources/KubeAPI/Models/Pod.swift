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
    /// `Always`, `OnFailure` or `Never`: whether the kubelet restarts exited containers.
    public var restartPolicy: String?
    /// Seconds a deleted pod gets to stop before it is killed.
    public var terminationGracePeriodSeconds: Int?
    /// `false` keeps the service account's API token out of the pod.
    public var automountServiceAccountToken: Bool?
    /// The pod's host name (a StatefulSet sets it to the pod's name).
    public var hostname: String?
    /// With `hostname`, gives the pod the DNS name `hostname.subdomain.namespace.svc.<cluster domain>` when a
    /// headless service of that name exists (a StatefulSet sets it to its `serviceName`).
    public var subdomain: String?

    /// Creates a pod spec.
    public init(
        containers: [Container]? = nil, initContainers: [Container]? = nil, nodeName: String? = nil, hostNetwork: Bool? = nil,
        restartPolicy: String? = nil, terminationGracePeriodSeconds: Int? = nil, automountServiceAccountToken: Bool? = nil,
        hostname: String? = nil, subdomain: String? = nil
    ) {
        self.containers = containers
        self.initContainers = initContainers
        self.nodeName = nodeName
        self.hostNetwork = hostNetwork
        self.restartPolicy = restartPolicy
        self.terminationGracePeriodSeconds = terminationGracePeriodSeconds
        self.automountServiceAccountToken = automountServiceAccountToken
        self.hostname = hostname
        self.subdomain = subdomain
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
    /// Arguments to the image's entrypoint.
    public var args: [String]?
    /// The container's privileges.
    public var securityContext: SecurityContext?

    /// Creates a container.
    public init(
        name: String, image: String? = nil, ports: [ContainerPort]? = nil, restartPolicy: String? = nil, args: [String]? = nil,
        securityContext: SecurityContext? = nil
    ) {
        self.name = name
        self.image = image
        self.ports = ports
        self.restartPolicy = restartPolicy
        self.args = args
        self.securityContext = securityContext
    }
}

/// A container's `securityContext`: the privileges berth's relay pod gives up (docs/relay.md).
public struct SecurityContext: Codable, Sendable, Hashable {
    /// The kubelet refuses to start the container as root.
    public var runAsNonRoot: Bool?
    /// The user id the container runs as.
    public var runAsUser: Int?
    /// The container cannot write its root filesystem.
    public var readOnlyRootFilesystem: Bool?
    /// No process may gain more privileges than its parent (no setuid).
    public var allowPrivilegeEscalation: Bool?
    /// Linux capabilities added and dropped.
    public var capabilities: Capabilities?

    /// Creates a security context.
    public init(
        runAsNonRoot: Bool? = nil, runAsUser: Int? = nil, readOnlyRootFilesystem: Bool? = nil, allowPrivilegeEscalation: Bool? = nil,
        capabilities: Capabilities? = nil
    ) {
        self.runAsNonRoot = runAsNonRoot
        self.runAsUser = runAsUser
        self.readOnlyRootFilesystem = readOnlyRootFilesystem
        self.allowPrivilegeEscalation = allowPrivilegeEscalation
        self.capabilities = capabilities
    }
}

/// Linux capabilities of a container (`ALL`, `NET_BIND_SERVICE`, …).
public struct Capabilities: Codable, Sendable, Hashable {
    /// Capabilities added to the runtime's default set.
    public var add: [String]?
    /// Capabilities removed from it.
    public var drop: [String]?

    /// Creates a capability change.
    public init(add: [String]? = nil, drop: [String]? = nil) {
        self.add = add
        self.drop = drop
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
