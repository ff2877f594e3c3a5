import BerthManifest
import HostPortSyntax

/// One port of one forward that berth's relay pod carries: the relay listens on a port of its own loopback and
/// sends what arrives there on to `host:port` (docs/relay.md).
public struct RelayRoute: Hashable, Sendable {
    /// The forward's name.
    public var forward: String
    /// The port's place in the forward's `ports`.
    public var index: Int
    /// TCP: each connection is dialled on; UDP: datagrams framed over the connection are sent on.
    public var `protocol`: PortProtocol
    /// A DNS name the cluster resolves, or an IP address.
    public var host: String
    /// The target port.
    public var port: Int

    /// Creates a route.
    public init(forward: String, index: Int, protocol: PortProtocol, host: String, port: Int) {
        self.forward = forward
        self.index = index
        self.protocol = `protocol`
        self.host = host
        self.port = port
    }

    /// `HOST:PORT` as the relay's arguments take it, an IPv6 address in brackets.
    public var destination: String {
        HostPort.format(host: host, port: port)
    }

    /// The relay's order of listen ports: by forward name, then by the port's place in the forward.
    static func inRelayOrder(_ a: RelayRoute, _ b: RelayRoute) -> Bool {
        (a.forward, a.index) < (b.forward, b.index)
    }
}
