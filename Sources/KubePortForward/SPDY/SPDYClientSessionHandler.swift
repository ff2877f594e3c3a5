import NIOCore
import SPDY
import Synchronization

// The client end of a SPDY port-forward session, last in the connection's pipeline after the frame codec.
// It owns the stream map, the requestid counter, the odd stream and PING ids, and the session's read gate.
// The wire facts it relies on are in docs/port-forward.md ("SPDY streams of one forwarded connection",
// "SPDY framing and header compression" for the absent flow control, and "berth's SPDY client").

/// Counters the session exposes off the event loop.
final class SPDYSessionGauge: Sendable {
    let openStreams = Atomic<Int>(0)
    /// Frames read from the peer so far (wrapping): read progress proves the peer alive.
    let framesRead = Atomic<Int>(0)
    /// Whether a stream's full buffer holds the connection's reads now.
    let readsPaused = Atomic<Bool>(false)
}

/// Multiplexes `SPDYStreamChannel`s over one upgraded connection.
final class SPDYClientSessionHandler: ChannelDuplexHandler {
    typealias InboundIn = SPDYFrame
    typealias OutboundIn = SPDYFrame
    typealias OutboundOut = SPDYFrame

    /// How long a stream pair may wait for its SYN_REPLYs (client-go's `createStreamResponseTimeout`).
    static let replyTimeout = TimeAmount.seconds(30)
    /// DATA frames are cut to at most this size, so the peer never buffers a 16 MiB frame for us.
    static let maximumDataFrame = 1 << 20

    private enum State { case open, goingAway, closed }

    private struct PendingPing {
        let started: NIODeadline
        let promise: EventLoopPromise<TimeAmount>
        let timeout: Scheduled<Void>
    }

    private let pod: PortForwardPod
    private let maxStreams: Int
    private let gauge: SPDYSessionGauge
    private var context: ChannelHandlerContext?
    private var state = State.open
    /// Both stream ids of a pair map to its channel.
    private var streams: [UInt32: SPDYStreamChannel] = [:]
    private var openPairs = 0
    private var nextStreamID: UInt32 = 1
    private var nextRequestID = 0
    private var nextPingID: UInt32 = 1
    private var pings: [UInt32: PendingPing] = [:]
    /// Children that got bytes during the current parent read burst.
    private var touched: [ObjectIdentifier: SPDYStreamChannel] = [:]
    private var inReadBurst = false
    private var flushPending = false
    /// A flush is due once the event loop has run what it is running now.
    private var flushScheduled = false
    /// Children whose inbound buffer is over the limit; while any is, the connection is not read.
    private var congested: Set<ObjectIdentifier> = []
    private var readHeld = false

    init(pod: PortForwardPod, maxStreams: Int, gauge: SPDYSessionGauge) {
        self.pod = pod
        self.maxStreams = max(1, maxStreams)
        self.gauge = gauge
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func handlerRemoved(context: ChannelHandlerContext) {
        endSession()
        self.context = nil
    }

    // MARK: Requests from PortForwardSession (on the event loop)

    func openStream(
        port: Int,
        initializer: @escaping @Sendable (any Channel) -> EventLoopFuture<Void>,
        promise: EventLoopPromise<any Channel>
    ) {
        guard state == .open, let context, nextStreamID < 0x7FFF_FFF0 else {
            promise.fail(PortForwardError.sessionClosed)
            return
        }
        guard openPairs < maxStreams else {
            promise.fail(PortForwardError.sessionFull)
            return
        }
        let errorID = nextStreamID
        let dataID = nextStreamID + 2
        nextStreamID += 4
        let requestID = nextRequestID
        nextRequestID += 1
        let child = SPDYStreamChannel(
            session: self, parent: context.channel, errorStreamID: errorID, dataStreamID: dataID, port: port, podName: pod.pod
        )
        streams[errorID] = child
        streams[dataID] = child
        openPairs += 1
        gauge.openStreams.store(openPairs, ordering: .relaxed)

        // Both SYN_STREAMs, then the error stream's FIN (we only read that stream), go out at once: the server replies to each SYN_STREAM
        // immediately and pairs them by requestid, so waiting for each reply (as kubectl does) only adds round trips.
        func headers(_ type: String) -> [SPDYHeader] {
            [SPDYHeader(name: "streamtype", value: type), SPDYHeader(name: "port", value: "\(port)"),
             SPDYHeader(name: "requestid", value: "\(requestID)")]
        }
        context.write(wrapOutboundOut(.synStream(streamID: errorID, associatedStreamID: 0, priority: 0, flags: 0, headers: headers("error"))), promise: nil)
        context.write(wrapOutboundOut(.synStream(streamID: dataID, associatedStreamID: 0, priority: 0, flags: 0, headers: headers("data"))), promise: nil)
        context.write(wrapOutboundOut(.data(streamID: errorID, fin: true, payload: ByteBuffer())), promise: nil)
        flushSoon()

        let timeout = context.eventLoop.assumeIsolated().scheduleTask(in: Self.replyTimeout) { child.openTimedOut() }
        promise.futureResult.whenComplete { _ in timeout.cancel() }
        child.start(initializer: initializer, promise: promise)
    }

    func ping(timeout: TimeAmount, promise: EventLoopPromise<TimeAmount>) {
        guard state != .closed, let context else {
            promise.fail(PortForwardError.sessionClosed)
            return
        }
        let id = nextPingID
        nextPingID = nextPingID >= 0x7FFF_FFFD ? 1 : nextPingID + 2
        let scheduled = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) { [weak self] in
            guard let self, let ping = self.pings.removeValue(forKey: id) else { return }
            ping.promise.fail(PortForwardError.pingTimedOut)
        }
        pings[id] = PendingPing(started: .now(), promise: promise, timeout: scheduled)
        context.writeAndFlush(wrapOutboundOut(.ping(id: id)), promise: nil)
    }

    /// GOAWAY, then close the connection; every stream closes with it.
    func close() {
        guard state != .closed, let context else { return }
        if state == .open {
            state = .goingAway
            // The client accepts no server streams, so the last good one is 0.
            context.writeAndFlush(wrapOutboundOut(.goAway(lastGoodStreamID: 0, status: SPDYConstants.goAwayOK)), promise: nil)
        }
        context.close(promise: nil)
    }

    // MARK: Calls from the children

    func writeData(streamID: UInt32, _ buffer: ByteBuffer, fin: Bool, promise: EventLoopPromise<Void>?) {
        guard let context, state != .closed else {
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        var rest = buffer
        while rest.readableBytes > Self.maximumDataFrame, let chunk = rest.readSlice(length: Self.maximumDataFrame) {
            context.write(wrapOutboundOut(.data(streamID: streamID, fin: false, payload: chunk)), promise: nil)
        }
        context.write(wrapOutboundOut(.data(streamID: streamID, fin: fin, payload: rest)), promise: promise)
    }

    /// Flushes the connection now, or at the end of the current read burst.
    func flushFromChild() {
        if inReadBurst {
            flushPending = true
        } else {
            context?.flush()
        }
    }

    /// Flushes the connection once the event loop has run what it is running now, or at the end of the current read
    /// burst: the frames that open and end streams (a batch of warm streams opened together, a FIN and the RST after
    /// it) then share one message, one TLS record and one system call, at the cost of a task on the loop.
    func flushSoon() {
        if inReadBurst {
            flushPending = true
            return
        }
        guard !flushScheduled, let context else { return }
        flushScheduled = true
        context.eventLoop.assumeIsolated().execute {
            self.flushScheduled = false
            self.context?.flush()
        }
    }

    func resetStreams(_ ids: [UInt32]) {
        guard let context, state != .closed else { return }
        for id in ids {
            context.write(wrapOutboundOut(.rstStream(streamID: id, status: SPDYConstants.rstCancel)), promise: nil)
        }
        flushSoon()
    }

    func streamClosed(_ child: SPDYStreamChannel) {
        guard streams.removeValue(forKey: child.dataStreamID) != nil else { return }
        streams.removeValue(forKey: child.errorStreamID)
        openPairs -= 1
        gauge.openStreams.store(openPairs, ordering: .relaxed)
        touched.removeValue(forKey: ObjectIdentifier(child))
        childDrained(child)
        if state == .goingAway && openPairs == 0 { context?.close(promise: nil) }
    }

    /// A child delivered its buffered bytes: reading resumes once no child is over its limit.
    func childDrained(_ child: SPDYStreamChannel) {
        guard child.bufferedInbound < SPDYStreamChannel.inboundBufferLimit || !streams.keys.contains(child.dataStreamID) else { return }
        congested.remove(ObjectIdentifier(child))
        if congested.isEmpty { gauge.readsPaused.store(false, ordering: .relaxed) }
        if readHeld && congested.isEmpty, let context {
            readHeld = false
            context.read()
        }
    }

    // MARK: ChannelHandler

    func read(context: ChannelHandlerContext) {
        if congested.isEmpty {
            context.read()
        } else {
            readHeld = true
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        inReadBurst = true
        gauge.framesRead.wrappingAdd(1, ordering: .relaxed)
        switch unwrapInboundIn(data) {
        case .synReply(let id, _, _):
            streams[id]?.receiveReply()
        case .data(let id, let fin, let payload):
            guard let child = streams[id] else { return }
            child.receiveData(streamID: id, payload: payload, fin: fin)
            touched[ObjectIdentifier(child)] = child
            if child.bufferedInbound >= SPDYStreamChannel.inboundBufferLimit {
                congested.insert(ObjectIdentifier(child))
                gauge.readsPaused.store(true, ordering: .relaxed)
            }
        case .rstStream(let id, let status):
            streams[id]?.receiveReset(streamID: id, status: status)
        case .ping(let id):
            if id % 2 == 0 {
                // The server's PING (even id): echo it unchanged.
                context.write(wrapOutboundOut(.ping(id: id)), promise: nil)
                flushPending = true
            } else if let ping = pings.removeValue(forKey: id) {
                ping.timeout.cancel()
                ping.promise.succeed(.nanoseconds(Int64((NIODeadline.now() - ping.started).nanoseconds)))
            }
        case .goAway(let lastGood, _):
            receiveGoAway(lastGood: lastGood, context: context)
        case .synStream(let id, _, _, _, _):
            // The server never opens streams in port-forward.
            context.write(wrapOutboundOut(.rstStream(streamID: id, status: SPDYConstants.rstRefusedStream)), promise: nil)
            flushPending = true
        case .headers, .windowUpdate, .ignored:
            // No flow control: the kubelet neither sends nor honours WINDOW_UPDATE.
            break
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        inReadBurst = false
        let children = touched.values
        touched.removeAll(keepingCapacity: true)
        for child in children { child.parentReadComplete() }
        if flushPending {
            flushPending = false
            context.flush()
        }
        context.fireChannelReadComplete()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        for child in uniqueChildren { child.parentWritabilityChanged() }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        endSession()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A codec error or a TLS failure: the session cannot continue.
        context.close(promise: nil)
    }

    // MARK: Internals

    private var uniqueChildren: [SPDYStreamChannel] {
        streams.compactMap { $0.key == $0.value.dataStreamID ? $0.value : nil }
    }

    private func receiveGoAway(lastGood: UInt32, context: ChannelHandlerContext) {
        if state == .open { state = .goingAway }
        // Streams past the last one the server processed will never be served.
        for child in uniqueChildren where child.dataStreamID > lastGood || child.errorStreamID > lastGood {
            child.sessionEnded()
        }
        if openPairs == 0 { context.close(promise: nil) }
    }

    private func endSession() {
        guard state != .closed else { return }
        state = .closed
        for child in uniqueChildren { child.sessionEnded() }
        let waiting = pings
        pings = [:]
        for ping in waiting.values {
            ping.timeout.cancel()
            ping.promise.fail(PortForwardError.sessionClosed)
        }
        congested.removeAll()
        gauge.readsPaused.store(false, ordering: .relaxed)
        if readHeld, let context {
            readHeld = false
            context.read()
        }
    }
}
