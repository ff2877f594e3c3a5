/// A forward's counters at one instant; feeds `berth status` and the metrics.
public struct ForwardCounters: Sendable, Equatable {
    /// The endpoint connections are bridged to now, or nil while connections are held.
    public var endpoint: UpstreamEndpoint?
    /// Connections bridged and not yet closed.
    public var openConnections: Int
    /// Open connections still bridged to a pod that is no longer the endpoint (a rollout's old pod in its
    /// grace period): they end when that pod or its stream ends them.
    public var drainingConnections: Int
    /// Connections accepted since the forward started.
    public var totalConnections: Int
    /// Connections waiting for an endpoint right now.
    public var heldConnections: Int
    /// Warm streams open and waiting to be handed out.
    public var warmStreamsReady: Int
    /// Bytes read from local clients and sent upstream.
    public var bytesIn: Int
    /// Bytes read from upstream and sent to local clients.
    public var bytesOut: Int
    /// Upstream streams opened (warm or on demand).
    public var upstreamConnects: Int
    /// Upstream streams opened on the accept path because no warm stream was ready.
    public var connectsOnAcceptPath: Int
    /// Connections that were handed a warm stream.
    public var warmStreamsUsed: Int
    /// How long the most recent upstream open took.
    public var lastConnectLatency: Duration?
    /// The mean time an upstream open took.
    public var averageConnectLatency: Duration?
    /// Failures by kind; kinds that never happened are absent.
    public var errors: [ForwardErrorKind: Int]
    /// Why streams to the endpoint cannot be opened now (the API server's or the kubelet's message), or
    /// nil while they can: set by a failed open or a warm stream the server closed at once, cleared when a
    /// warm stream is used or outlives `Forward.shortestHealthyWarmLife` (or, without warm streams, when a
    /// connection is bridged).
    public var upstreamFailure: UpstreamFailure?

    /// The count for one kind of failure (0 if it never happened).
    public func errorCount(_ kind: ForwardErrorKind) -> Int { errors[kind, default: 0] }
}

/// One open connection at one instant.
public struct ConnectionSnapshot: Sendable, Equatable {
    /// The connection's id, as it appears in the logs.
    public var id: UInt64
    /// The pod it is bridged to.
    public var endpoint: UpstreamEndpoint
    /// Bytes read from the client and sent upstream.
    public var bytesIn: Int
    /// Bytes read from upstream and sent to the client.
    public var bytesOut: Int
    /// Whether it was bridged over a pre-opened warm stream.
    public var usedWarmStream: Bool
}
