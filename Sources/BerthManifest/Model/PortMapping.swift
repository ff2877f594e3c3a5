/// One local port forwarded to one remote port.
public struct PortMapping: Hashable, Sendable {
    /// Local port, 0–65535; 0 asks the system for a free port, reported in status.
    public var local: Int
    /// Port on the target: a number, or a name resolved against the service or container ports.
    public var remote: RemotePort
    /// Transport protocol; only TCP is supported.
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
    /// TCP, the only protocol Kubernetes port-forwarding carries.
    case tcp
}

extension PortMapping: CustomStringConvertible {
    /// `LOCAL:REMOTE`, the short form the manifest accepts.
    public var description: String { "\(local):\(remote)" }
}
