/// One port-forward as the manifest declares it, with every default already applied.
///
/// Specs are plain values: the controller diffs the old and new `[ForwardSpec]` by `name` and
/// compares them with `==` to decide whether a forward must be rebuilt.
public struct ForwardSpec: Hashable, Sendable {
    /// Unique DNS-1123 label; the key of the forward in status, logs and the control socket.
    public var name: String
    /// kubeconfig context to use; `nil` means the kubeconfig's `current-context`.
    public var context: String?
    /// Namespace of the target; `nil` means the context's namespace (or `default`), as kubectl does.
    public var namespace: String?
    /// What the forward connects to.
    public var target: ForwardTarget
    /// Local-to-remote port pairs; never empty.
    public var ports: [PortMapping]
    /// Local listen address: an IPv4 or IPv6 literal, or `localhost` (both loopbacks).
    public var address: String
    /// `false` keeps the forward in the manifest without running it.
    public var enabled: Bool
    /// How long a new local connection waits for a ready endpoint before it is closed.
    public var hold: Duration
    /// Number of upstream streams opened ahead of demand; 0 disables prewarming; nil lets the transport
    /// decide (6 over SPDY sessions, 1 over v4 WebSockets).
    public var warm: Int?
    /// Periodic health probe of the upstream; `nil` disables probing.
    public var probe: ProbeSpec?
    /// How connections reach the pod through the API server.
    public var transport: TransportChoice
    /// A service forward also answers to the service's cluster names (`web`, `web.shop`, …).
    public var names: Bool
    /// Explicit local names, for any target (DNS-1123 subdomains).
    public var hostnames: [String]
    /// The forward has local names and sets no address (nor do the defaults): berth gives it its own
    /// loopback address from the manifest's `addressRange`, and the daemon replaces `address` with it.
    public var ownAddress: Bool

    /// Creates a spec; the defaults mirror `ManifestDefaults.builtIn`.
    public init(
        name: String,
        context: String? = nil,
        namespace: String? = nil,
        target: ForwardTarget,
        ports: [PortMapping],
        address: String = ManifestDefaults.builtIn.address,
        enabled: Bool = true,
        hold: Duration = ManifestDefaults.builtIn.hold,
        warm: Int? = ManifestDefaults.builtIn.warm,
        probe: ProbeSpec? = nil,
        transport: TransportChoice = ManifestDefaults.builtIn.transport,
        names: Bool = false,
        hostnames: [String] = [],
        ownAddress: Bool = false
    ) {
        self.name = name
        self.context = context
        self.namespace = namespace
        self.target = target
        self.ports = ports
        self.address = address
        self.enabled = enabled
        self.hold = hold
        self.warm = warm
        self.probe = probe
        self.transport = transport
        self.names = names
        self.hostnames = hostnames
        self.ownAddress = ownAddress
    }
}

extension ForwardSpec {
    /// Whether the forward runs through berth's relay pod in its namespace: a `host` target, or any UDP
    /// port, which Kubernetes port-forwarding cannot carry by itself (docs/relay.md).
    public var needsRelay: Bool {
        if case .host = target { return true }
        return ports.contains { $0.protocol == .udp }
    }
}
