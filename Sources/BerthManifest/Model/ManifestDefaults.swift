/// Values a forward inherits when it does not set them itself (the manifest's `defaults:` block).
public struct ManifestDefaults: Hashable, Sendable {
    /// Default kubeconfig context; `nil` means the kubeconfig's `current-context`. A context passed to the loader
    /// (`berth up --context`) wins over it; this keeps the files' value.
    public var context: String?
    /// Default namespace; `nil` means the context's namespace.
    public var namespace: String?
    /// Default listen address.
    public var address: String
    /// Default hold timeout for new connections while no endpoint is ready.
    public var hold: Duration
    /// Default number of prewarmed upstream streams; nil lets the transport decide (6 over SPDY sessions,
    /// 1 over v4 WebSockets, docs/manifest.md).
    public var warm: Int?
    /// Default transport to the pods.
    public var transport: TransportChoice
    /// Whether service forwards get their cluster names by default.
    public var names: Bool
    /// The cluster's DNS domain, the last part of `web.shop.svc.cluster.local`.
    public var clusterDomain: String
    /// Where forwards with names and no address get their own loopback address.
    public var addressRange: LoopbackRange
    /// The container image of berth's relay pod, which carries `host` targets and UDP ports (docs/relay.md).
    public var relayImage: String

    /// Creates defaults.
    public init(
        context: String? = nil, namespace: String? = nil, address: String, hold: Duration, warm: Int?,
        transport: TransportChoice = .auto,
        names: Bool = false, clusterDomain: String = "cluster.local", addressRange: LoopbackRange = .standard,
        relayImage: String = Self.defaultRelayImage
    ) {
        self.context = context
        self.namespace = namespace
        self.address = address
        self.hold = hold
        self.warm = warm
        self.transport = transport
        self.names = names
        self.clusterDomain = clusterDomain
        self.addressRange = addressRange
        self.relayImage = relayImage
    }

    /// The relay image berth uses unless `defaults.relay.image` names another: the release that matches
    /// this berth's relay protocol (relay/Dockerfile builds it).
    public static let defaultRelayImage = "ghcr.io/berth-dev/berth-relay:0.2"

    /// What applies when no manifest file sets a default: loopback only, hold 10s, as many warm streams as
    /// the transport makes cheap, the transport negotiated.
    public static let builtIn = ManifestDefaults(address: "127.0.0.1", hold: .seconds(10), warm: nil)
}
