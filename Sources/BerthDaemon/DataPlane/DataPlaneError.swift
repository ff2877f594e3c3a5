import NIOCore

/// Everything that can go wrong in the data plane, named after the step that failed.
///
/// Each case carries what a user needs to act on it: the address and port for listener failures,
/// the forward and the pod for upstream failures.
public enum DataPlaneError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Another socket already listens on this local address and port.
    case portInUse(address: String, port: Int)
    /// The process may not bind this port (a privileged port without the capability).
    case bindPermissionDenied(address: String, port: Int)
    /// The address is not assigned to any local interface.
    case addressUnavailable(address: String, port: Int)
    /// Binding failed for another reason; `reason` is the system's message.
    case bindFailed(address: String, port: Int, reason: String)
    /// Opening an upstream stream to the pod failed.
    case upstreamConnectFailed(forward: String, endpoint: UpstreamEndpoint, reason: String)
    /// The API server refused the stream (RBAC, credentials, the pod): retrying cannot help until something
    /// outside berth changes. `reason` is the status word (`Forbidden`, `Unauthorized`, `NotFound`) and
    /// `message` says what to grant or fix, with the API server's own message.
    case upstreamRefused(forward: String, endpoint: UpstreamEndpoint, reason: String, message: String)
    /// A connector returned a stream whose channel lives on another event loop than the forward's.
    case upstreamOnWrongEventLoop(forward: String, endpoint: UpstreamEndpoint)
    /// `run()` was called a second time; a forward's listener can be served only once.
    case alreadyRunning(forward: String)

    /// A sentence for the user: what failed, where, and the likely cause.
    public var description: String {
        switch self {
        case .portInUse(let address, let port):
            return "cannot listen on \(address):\(port): the port is already in use by another process"
        case .bindPermissionDenied(let address, let port):
            return "cannot listen on \(address):\(port): permission denied (ports below 1024 need privileges)"
        case .addressUnavailable(let address, let port):
            return "cannot listen on \(address):\(port): the address is not assigned to this machine"
        case .bindFailed(let address, let port, let reason):
            return "cannot listen on \(address):\(port): \(reason)"
        case .upstreamConnectFailed(let forward, let endpoint, let reason):
            return "forward \(forward): cannot open a stream to \(endpoint): \(reason)"
        case .upstreamRefused(let forward, let endpoint, _, let message):
            return "forward \(forward): cannot open a stream to \(endpoint): \(message)"
        case .upstreamOnWrongEventLoop(let forward, let endpoint):
            return "forward \(forward): the connector returned a stream to \(endpoint) on a foreign event loop"
        case .alreadyRunning(let forward):
            return "forward \(forward) is already running"
        }
    }
}

/// The kinds of failure a forward counts, as shown by `berth status` and the metrics.
public enum ForwardErrorKind: String, Sendable, Hashable, CaseIterable {
    /// Opening a stream for an accepted connection failed; the connection was closed.
    case upstreamConnectFailed
    /// Opening a warm stream failed; it is retried with backoff.
    case warmConnectFailed
    /// A warm stream died while idle (the server closed it) and was replaced.
    case warmStreamDied
    /// A held connection waited the whole hold timeout without an endpoint and was closed.
    case holdTimedOut
    /// A connection arrived while the hold queue was full and was closed at once.
    case holdQueueFull
    /// An open connection was closed because its pod stopped being the forward's endpoint.
    case endpointGone
}
