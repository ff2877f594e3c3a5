/// One thing that happened to the host's network, as far as berth cares: something that may have broken
/// long-lived connections to the API server.
public struct NetworkChange: Sendable, Hashable, CustomStringConvertible {
    /// What changed.
    public enum Kind: String, Sendable, Hashable {
        /// An interface appeared or changed state (up, down, carrier).
        case link
        /// An interface disappeared.
        case linkRemoved
        /// An address was added.
        case addressAdded
        /// An address was removed.
        case addressRemoved
        /// A route was added or changed.
        case routeAdded
        /// A route was removed.
        case routeRemoved
        /// The kernel dropped notifications (receive buffer overrun): anything may have changed.
        case unknown
        /// The machine slept and woke up (the wall clock jumped ahead of the monotonic clock).
        case wake
        /// A forward's stream could not reach the API server (refused, reset, timed out): whatever broke the
        /// path may mend without a local network event (a partition, an API server restart).
        case apiServerUnreachable
    }

    /// What changed.
    public var kind: Kind
    /// The interface index, when the message names one.
    public var interfaceIndex: Int32?

    /// Creates a change record.
    public init(kind: Kind, interfaceIndex: Int32? = nil) {
        self.kind = kind
        self.interfaceIndex = interfaceIndex
    }

    /// For log lines: `addressAdded(if 3)`.
    public var description: String {
        interfaceIndex.map { "\(kind.rawValue)(if \($0))" } ?? kind.rawValue
    }
}
