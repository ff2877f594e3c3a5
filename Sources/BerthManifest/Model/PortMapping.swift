/// One local port forwarded to one remote port.
public struct PortMapping: Hashable, Sendable {
    /// Local port, 0–65535; 0 asks the system for a free port, reported in status.
    public var local: Int
    /// Port on the target: a number, or a name resolved against the service or container ports.
    public var remote: RemotePort
    /// Transport protocol; UDP travels through berth's relay pod (docs/relay.md).
    public var `protocol`: PortProtocol

    /// Creates a mapping.
    public init(local: Int, remote: RemotePort, protocol: PortProtocol = .tcp) {
        self.local = local
        self.remote = remote
        self.protocol = `protocol`
    }
}

/// A remote port as written in the manifest.
public enum RemotePort: Hashable, Sendable {
    /// A port number, 1–65535.
    case number(Int)
    /// A named port (IANA_SVC_NAME): a Service port name, or a container port name for pod targets.
    case name(String)
}

extension RemotePort: CustomStringConvertible {
    /// The number or the name, as written in the manifest.
    public var description: String {
        switch self {
        case .number(let number): String(number)
        case .name(let name): name
        }
    }
}

/// Transport protocol of a port mapping.
public enum PortProtocol: String, Hashable, Sendable {
    /// TCP, the protocol Kubernetes port-forwarding carries.
    case tcp
    /// UDP: datagrams travel framed over a forwarded TCP stream to berth's relay pod, which sends them on.
    case udp
}

extension PortMapping: CustomStringConvertible {
    /// `LOCAL:REMOTE`, or `LOCAL:REMOTE/udp`: the short form the manifest accepts.
    public var description: String { "\(local):\(remoteText)" }

    /// The remote port as status shows it: `5432`, `http`, or `53/udp`.
    public var remoteText: String { `protocol` == .udp ? "\(remote)/udp" : remote.description }
}
