/// How one forward behaves; every knob has the default the manifest documents.
public struct ForwardConfiguration: Sendable {
    /// The forward's name, used in logs, errors and status.
    public var name: String
    /// How long an accepted connection waits for an endpoint before it is closed.
    public var holdTimeout: Duration
    /// How many connections may wait at once; more are closed on arrival, so a client storm during
    /// an outage cannot pile up sockets without bound.
    public var maxHeldConnections: Int
    /// How many upstream streams to keep open ahead of demand (0 turns warm streams off); nil follows the
    /// transport, see `defaultWarmStreams(multiplexed:)`.
    public var warmStreams: Int?
    /// A warm stream idle this long is replaced, so the kubelet's idle timeout (5 min on hardened
    /// clusters, v4 has no keepalive) never cuts a stream that is about to be handed out.
    public var warmStreamMaxIdle: Duration
    /// Bytes a warm stream may keep from a server that speaks first; past it the stream is closed and the
    /// forward keeps no warm streams to that endpoint (it talks unasked). Applies over every transport.
    public var warmStreamBufferLimit: Int
    /// The first delay before retrying a failed warm stream; it doubles up to `warmRetryMaxDelay`.
    public var warmRetryDelay: Duration
    /// The longest delay between warm stream retries.
    public var warmRetryMaxDelay: Duration
    /// How long a connection that finds the pool empty waits for a warm stream already being opened
    /// before it opens its own. The stream in flight started earlier, so it is normally ready first;
    /// the limit only bounds the wait on a dial that hangs.
    public var warmStreamWaitLimit: Duration
    /// How long after its last connection a forward counts as in use, for the default number of warm streams
    /// over a multiplexed transport (`defaultWarmStreams(multiplexed:inUse:)`).
    public var warmInUseWindow: Duration
    /// A stream open quicker than this is a nearby API server's (loopback, a local cluster: a round trip or two on
    /// a LAN at most). Then a used warm stream is replaced once the pod has answered, and in batches (see
    /// `Forward.attach`); behind a longer round trip at once.
    public var quickOpen: Duration

    /// Creates a configuration with the documented defaults.
    public init(
        name: String,
        holdTimeout: Duration = .seconds(10),
        maxHeldConnections: Int = 256,
        warmStreams: Int? = 1,
        warmStreamMaxIdle: Duration = .seconds(240),
        warmStreamBufferLimit: Int = 64 * 1024,
        warmRetryDelay: Duration = .milliseconds(500),
        warmRetryMaxDelay: Duration = .seconds(30),
        warmStreamWaitLimit: Duration = .seconds(1),
        warmInUseWindow: Duration = .seconds(120),
        quickOpen: Duration = .milliseconds(2)
    ) {
        self.name = name
        self.holdTimeout = holdTimeout
        self.maxHeldConnections = maxHeldConnections
        self.warmStreams = warmStreams
        self.warmStreamMaxIdle = warmStreamMaxIdle
        self.warmStreamBufferLimit = warmStreamBufferLimit
        self.warmRetryDelay = warmRetryDelay
        self.warmRetryMaxDelay = warmRetryMaxDelay
        self.warmStreamWaitLimit = warmStreamWaitLimit
        self.warmInUseWindow = warmInUseWindow
        self.quickOpen = quickOpen
    }

    /// Warm streams when the manifest sets none. Over a multiplexed transport (SPDY, either entry), where a warm
    /// stream is a frame in a live session: 6 while the forward is in use (a connection within
    /// `warmInUseWindow`), so that a browser's burst of 6 connections needs no round trip beyond its requests,
    /// and 1 while it is idle: every warm stream makes the kubelet hold a connection to the pod, and a thousand
    /// idle forwards need not hold six each. Over v4 WebSockets, where each is a TLS connection of its own: 1.
    public static func defaultWarmStreams(multiplexed: Bool, inUse: Bool = true) -> Int {
        multiplexed && inUse ? 6 : 1
    }

    /// The warm streams to keep, given whether the last stream opened was multiplexed and whether the forward
    /// is in use.
    func warmStreams(multiplexed: Bool, inUse: Bool) -> Int {
        warmStreams ?? Self.defaultWarmStreams(multiplexed: multiplexed, inUse: inUse)
    }
}
