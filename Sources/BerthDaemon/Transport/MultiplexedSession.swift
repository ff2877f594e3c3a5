import NIOCore

/// What the session pool needs of one multiplexed port-forward session to a pod: KubePortForward's
/// `PortForwardSession` in production, a fake in tests.
public protocol MultiplexedSession: AnyObject, Sendable {
    /// The loop every stream channel of the session lives on.
    var eventLoop: any EventLoop { get }
    /// Streams (pairs) open now.
    var openStreamCount: Int { get }
    /// Opens one forwarded connection to `port`; `initializer` runs before any byte reaches the pipeline.
    func openStream(port: Int, initializer: @escaping @Sendable (any Channel) -> EventLoopFuture<Void>) -> EventLoopFuture<any Channel>
    /// Frames read from the server so far (any wrapping counter): a change proves the peer alive.
    var framesReceived: Int { get }
    /// Whether a slow reader's full stream buffer stops the session reading its connection now: PING answers
    /// then wait unread, so their absence says nothing about the peer.
    var readsPausedByBackpressure: Bool { get }
    /// Sends a PING; completes with the round-trip time or fails after `timeout` (without closing the session).
    func ping(timeout: TimeAmount) -> EventLoopFuture<TimeAmount>
    /// Completes when the session's connection is closed, for any reason.
    var closeFuture: EventLoopFuture<Void> { get }
    /// GOAWAY, then close; its open streams close.
    func close()
}

/// Which sessions may be shared: the same cluster, the same pod (by UID, so a recreated pod gets new
/// sessions) and the same event loop (a stream's channel must be on its forward's loop; the reconciler gives
/// every forward to a namespace one loop, so all forwards to a pod share its sessions).
public struct SessionKey: Hashable, Sendable, CustomStringConvertible {
    /// The cluster (kubeconfig context name).
    public var cluster: String
    /// The pod's namespace and name, for logs and status.
    public var namespace: String
    /// The pod's name.
    public var pod: String
    /// The pod's UID.
    public var podUID: String
    /// The event loop of the forwards that use the session.
    public var loop: ObjectIdentifier

    /// Creates a key.
    public init(cluster: String, namespace: String, pod: String, podUID: String, loop: any EventLoop) {
        self.cluster = cluster
        self.namespace = namespace
        self.pod = pod
        self.podUID = podUID
        self.loop = ObjectIdentifier(loop)
    }

    /// `cluster/namespace/pod`.
    public var description: String { "\(cluster)/\(namespace)/\(pod)" }
}

/// The session pool's settings.
public struct SessionSettings: Sendable, Hashable {
    /// Streams one session carries at most; the next stream to the pod opens a second session.
    public var maxStreams: Int
    /// Time between keepalive PINGs. A session that shows no sign of life for two intervals is closed (an
    /// answered PING or any frame read is one; so is a pause of its reads for a slow reader), and so is a
    /// session that carried no stream for two intervals.
    public var pingInterval: TimeAmount

    /// Defaults: 250 streams per session (what Go's HTTP/2 server allows per connection by default), a PING
    /// every 5 s (kubectl pings direct SPDY sessions every 5 s).
    public init(maxStreams: Int = 250, pingInterval: TimeAmount = .seconds(5)) {
        self.maxStreams = maxStreams
        self.pingInterval = pingInterval
    }
}
