import NIOCore
import NIOPosix

// The pod side of one forwarded connection: a TCP connection from the fake kubelet to the pod's local
// server. It lives on the session's event loop, so the session and its links call each other directly.
//
// Backpressure: the pod channel runs with autoRead off and is read only while the session channel is
// writable (`canRead`); the session stops reading its client while any link `isBlocking` (the pod cannot
// take more bytes, or bytes are parked while the dial is still in flight).

/// What a link reports to its session.
struct PodLinkEvents {
    /// Bytes from the pod, to be written (not flushed) toward the client.
    var data: (ByteBuffer) -> Void
    /// The pod read burst is over: flush toward the client.
    var flush: () -> Void
    /// The pod will send nothing more (EOF, reset, or closed). Called once.
    var ended: () -> Void
    /// The dial failed; the text is what the kubelet would put on the error stream.
    var dialFailed: (String) -> Void
    /// `isBlocking` changed.
    var blockingChanged: () -> Void
    /// Whether the client side can take more bytes right now.
    var canRead: () -> Bool
}

/// One TCP connection to a pod port, owned by a port-forward session.
final class PodLink {
    private enum State {
        case dialing(parked: [ByteBuffer])
        case connected(Channel, PodConnectionHandler)
        case closed
    }

    private var state: State = .dialing(parked: [])
    private var events: PodLinkEvents?
    private var podWritable = true
    private var outputShutdownRequested = false
    private var endReported = false

    init(events: PodLinkEvents) {
        self.events = events
    }

    /// True while client bytes should not be read: the pod cannot take them yet.
    var isBlocking: Bool {
        switch state {
        case .dialing(let parked): !parked.isEmpty
        case .connected: !podWritable
        case .closed: false
        }
    }

    /// Dials the pod port on `eventLoop` (the session's loop).
    func dial(_ address: SocketAddress?, eventLoop: any EventLoop, failureText: @escaping (String) -> String) {
        guard let address else {
            fail(failureText("connect: connection refused"))
            return
        }
        ClientBootstrap(group: eventLoop)
            .channelOption(.autoRead, value: false)
            .channelOption(.allowRemoteHalfClosure, value: true)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .connectTimeout(.seconds(10))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(PodConnectionHandler())
                }
            }
            .connect(to: address)
            .assumeIsolated()
            .whenComplete { result in
                switch result {
                case .success(let channel):
                    self.connected(channel)
                case .failure(let error):
                    self.fail(failureText("dial tcp \(address): \(error)"))
                }
            }
    }

    private func connected(_ channel: Channel) {
        guard case .dialing(let parked) = state,
            let handler = try? channel.pipeline.syncOperations.handler(type: PodConnectionHandler.self)
        else {
            channel.close(promise: nil)
            return
        }
        handler.link = self
        state = .connected(channel, handler)
        podWritable = channel.isWritable
        for buffer in parked {
            channel.write(buffer, promise: nil)
        }
        if !parked.isEmpty { channel.flush() }
        if outputShutdownRequested { channel.closeOutputOnceWritten() }
        events?.blockingChanged()
        handler.readIfAllowed()
    }

    private func fail(_ text: String) {
        guard case .dialing = state else { return }
        state = .closed
        let events = self.events
        events?.blockingChanged()
        events?.dialFailed(text)
        reportEnded()
    }

    /// Client bytes for the pod. Parked (bounded by the session's read gating) while dialing.
    func write(_ buffer: ByteBuffer) {
        switch state {
        case .dialing(var parked):
            parked.append(buffer)
            state = .dialing(parked: parked)
            if parked.count == 1 { events?.blockingChanged() }
        case .connected(let channel, _):
            channel.write(buffer, promise: nil)
        case .closed:
            break
        }
    }

    /// Ends a burst of client bytes.
    func flush() {
        if case .connected(let channel, _) = state { channel.flush() }
    }

    /// The client finished sending: pass the half-close on to the pod.
    func shutdownOutput() {
        switch state {
        case .dialing: outputShutdownRequested = true
        case .connected(let channel, _): channel.closeOutputOnceWritten()
        case .closed: break
        }
    }

    /// Tears the link down; no further events are reported.
    func close() {
        if case .connected(let channel, _) = state { channel.close(promise: nil) }
        state = .closed
        events = nil
    }

    /// The client side became writable again.
    func resumeReading() {
        if case .connected(_, let handler) = state { handler.readIfAllowed() }
    }

    // MARK: called by PodConnectionHandler

    fileprivate func podData(_ buffer: ByteBuffer) { events?.data(buffer) }
    fileprivate func podReadComplete() { events?.flush() }
    fileprivate var canRead: Bool { events?.canRead() ?? false }

    fileprivate func podWritabilityChanged(_ writable: Bool) {
        podWritable = writable
        events?.blockingChanged()
    }

    fileprivate func reportEnded() {
        guard !endReported else { return }
        endReported = true
        events?.ended()
    }
}

/// Sits in the pod channel; reads on demand and forwards to its link.
final class PodConnectionHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    fileprivate var link: PodLink?
    private var context: ChannelHandlerContext?
    private var readPending = false

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    /// Issues a read unless the client side is congested or a read is already outstanding.
    fileprivate func readIfAllowed() {
        guard let context, !readPending, link?.canRead == true else { return }
        readPending = true
        context.read()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        link?.podData(unwrapInboundIn(data))
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        readPending = false
        link?.podReadComplete()
        readIfAllowed()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        link?.podWritabilityChanged(context.channel.isWritable)
        context.fireChannelWritabilityChanged()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case ChannelEvent.inputClosed = event {
            link?.reportEnded()
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        link?.reportEnded()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A reset from the pod ends the link like an EOF would.
        context.close(promise: nil)
    }
}
