import NIOCore

/// One live SPDY port-forward session to one pod, on one event loop: many forwarded connections share its
/// single TLS connection, each as an error + data stream pair (docs/port-forward.md, "berth's SPDY client").
///
/// Thread-safe; its state lives on `eventLoop`. Keepalive (a PING timer) and pooling are the caller's: the
/// session only echoes the server's PINGs and answers `ping(timeout:)`.
public final class PortForwardSession: Sendable {
    /// The loop the connection and every stream channel run on.
    public let eventLoop: any EventLoop
    /// `.websocketSPDY` or `.spdy`.
    public let transport: PortForwardTransport
    /// The pod this session forwards to.
    public let target: PortForwardPod

    private let channel: any Channel
    private let handler: NIOLoopBound<SPDYClientSessionHandler>
    private let gauge: SPDYSessionGauge

    init(channel: any Channel, handler: SPDYClientSessionHandler, gauge: SPDYSessionGauge, transport: PortForwardTransport, target: PortForwardPod) {
        self.eventLoop = channel.eventLoop
        self.channel = channel
        self.handler = NIOLoopBound(handler, eventLoop: channel.eventLoop)
        self.gauge = gauge
        self.transport = transport
        self.target = target
    }

    /// Opens one forwarded connection: an error stream + data stream pair (same requestid) for `port`.
    ///
    /// The returned Channel is a child channel on `eventLoop` carrying `ByteBuffer`s both ways; it honours
    /// autoRead and `read()`. `close(mode: .output)` sends an empty DATA+FIN; the remote's FIN fires
    /// `ChannelEvent.inputClosed` (the channel stays writable); RST_STREAM or the session's death closes it;
    /// text on the error stream fires `errorCaught(PortForwardError.remoteError(pod:port:message:))` and then
    /// closes it. `close()` resets the streams unless both sides have sent FIN.
    ///
    /// `initializer` runs on the event loop after the channel exists and before any byte or event can reach its
    /// pipeline. The future fails (no channel) when the session is closed or going away (`.sessionClosed`),
    /// the stream limit is reached (`.sessionFull`), the server resets the streams before accepting them
    /// (`.streamRefused`), the kubelet reports an error first (`.remoteError`) or the initializer fails.
    public func openStream(
        port: Int,
        initializer: @escaping @Sendable (any Channel) -> EventLoopFuture<Void>
    ) -> EventLoopFuture<any Channel> {
        let promise = eventLoop.makePromise(of: (any Channel).self)
        // Always a new tick, even on the loop: a stream opened from inside a handler callback must not
        // re-enter the session handler.
        eventLoop.execute {
            self.handler.value.openStream(port: port, initializer: initializer, promise: promise)
        }
        return promise.futureResult
    }

    /// Stream pairs open now (forwarded connections, including ones still opening).
    public var openStreamCount: Int { gauge.openStreams.load(ordering: .relaxed) }

    /// Frames read from the server so far, a DATA frame once per piece of it that arrives (a wrapping counter):
    /// any change proves the peer alive, even while a PING's answer still waits behind the data ahead of it.
    public var framesReceived: Int { gauge.framesRead.load(ordering: .relaxed) }

    /// Whether the session stopped reading its connection because a stream's reader is slow and that stream's
    /// buffer is full (docs/port-forward.md, "Backpressure"); PING answers then wait unread in the socket.
    public var readsPausedByBackpressure: Bool { gauge.readsPaused.load(ordering: .relaxed) }

    /// Sends a PING and completes with the round-trip time; fails with `.pingTimedOut` after `timeout` (the
    /// session stays open: deciding it is dead is the caller's call) or `.sessionClosed`.
    public func ping(timeout: TimeAmount) -> EventLoopFuture<TimeAmount> {
        let promise = eventLoop.makePromise(of: TimeAmount.self)
        eventLoop.execute { self.handler.value.ping(timeout: timeout, promise: promise) }
        return promise.futureResult
    }

    /// Completes when the session's connection is closed (for any reason).
    public var closeFuture: EventLoopFuture<Void> { channel.closeFuture }

    /// Sends GOAWAY, then closes the connection; open streams are closed.
    public func close() {
        eventLoop.execute { self.handler.value.close() }
    }
}
