/// The kinds of failure a forward counts, as shown by `berth status` and the metrics.
public enum ForwardErrorKind: String, Sendable, Hashable, CaseIterable {
    /// A bridged connection's stream failed in a way that may have lost bytes already sent to the pod; it was closed.
    case upstreamConnectFailed
    /// A connection's stream failed before any byte could reach a pod (the open failed, or the stream died
    /// before the bridge); the connection went back to the hold queue, keeping what the client sent.
    case reheld
    /// Opening a warm stream failed; it is retried with backoff.
    case warmConnectFailed
    /// A warm stream died while idle (the server closed it) and was replaced.
    case warmStreamDied
    /// A held connection waited the whole hold timeout without an endpoint and was closed.
    case holdTimedOut
    /// A connection arrived while the hold queue was full and was closed at once.
    case holdQueueFull
    /// An open connection was closed because its pod is gone from the API (deleted, its grace period over).
    case endpointGone
}
