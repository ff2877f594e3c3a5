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
