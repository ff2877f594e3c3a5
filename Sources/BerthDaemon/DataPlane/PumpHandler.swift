import NIOCore

/// One half of the byte pump: sits at the tail of one channel and writes what it reads into its
/// partner's channel. Both channels share one event loop, so partners call each other directly.
///
/// Backpressure: a `read()` is let through only while the partner is writable; otherwise it is
/// parked and replayed when the partner's writability returns. At most one read's worth of bytes is
/// ever in flight beyond the partner's write-buffer watermark, so no buffer grows without bound.
///
/// Half-close: the remote's EOF on one side becomes `close(mode: .output)` on the other, once that
/// side's queued writes are flushed. A stream that cannot carry a FIN (WebSocket v4) is told all the same:
/// it keeps reading, and ends the connection once the pod has been silent for a while (`localEOFGrace`), so
/// a client that has gone never keeps its connection open for as long as the pod cares to wait.
///
/// Replay (docs/data-plane.md, "Connection rules"): until the pod's first byte, the client half keeps a copy of
/// what it passed on, up to a limit. Should the upstream then report that it never reached the pod (the kubelet
/// could not dial the pod port), the client is taken out of the pump with those bytes in a fresh stand-by
/// handler, ready for another stream, and `replayed` says why; nothing is lost that never reached a pod.
///
/// First answer: `onFirstAnswer` runs once, on the loop, when the pump has passed the pod's first bytes on to the
/// client, or when either side ends first. The forward opens a used warm stream's replacement then, so that neither
/// berth nor the API server handles the replacement's frames while the client waits for its first answer.
final class PumpHandler {
    private var partner: PumpHandler?
    private var context: ChannelHandlerContext?
    private var pendingRead = false
    private var inputClosed = false
    private let count: (Int) -> Void
    /// Client half: what went upstream before the pod's first byte; nil once the pod spoke or past the limit.
    private var replayCopy: [ByteBuffer]?
    private var replayCopyBytes = 0
    private var replayLimit = 0
    /// Upstream half: whether an error means the stream never reached the pod.
    private var neverReachedPod: (any Error) -> Bool = { _ in false }
    /// Upstream half: completed once, with the error when the client was taken out for a replay, else nil.
    private var replayed: EventLoopPromise<(any Error)?>?
    /// Shared by both halves: runs once, when the pod's first bytes have been passed on or either side ends.
    private var firstAnswer: FirstAnswer?
    /// Upstream half: passing bytes on is the first answer.
    private var readIsAnswer = false

    private init(count: @escaping (Int) -> Void) {
        self.count = count
    }

    /// A half that never made it into a pipeline still says how its pump ended.
    deinit {
        replayed?.succeed(nil)
    }

    /// Makes the two halves for a client channel and an upstream channel. With `replayed`, the client's bytes are
    /// kept (up to `replayLimit`) until the pod's first byte, for a replay when `neverReachedPod` says so.
    static func pair(
        counters: [ByteCounters], replayLimit: Int = 0,
        neverReachedPod: @escaping (any Error) -> Bool = { _ in false }, replayed: EventLoopPromise<(any Error)?>? = nil,
        onFirstAnswer: (() -> Void)? = nil
    ) -> (client: PumpHandler, upstream: PumpHandler) {
        let client = PumpHandler { n in for c in counters { c.addIn(n) } }
        let upstream = PumpHandler { n in for c in counters { c.addOut(n) } }
        client.partner = upstream
        upstream.partner = client
        if let onFirstAnswer {
            let firstAnswer = FirstAnswer(onFirstAnswer)
            client.firstAnswer = firstAnswer
            upstream.firstAnswer = firstAnswer
            upstream.readIsAnswer = true
        }
        if let replayed, replayLimit > 0 {
            client.replayCopy = []
            client.replayLimit = replayLimit
            upstream.neverReachedPod = neverReachedPod
            upstream.replayed = replayed
        }
        return (client, upstream)
    }

    /// Client half: keeps `buffer` for a replay while that is still possible.
    private func keepForReplay(_ buffer: ByteBuffer) {
        guard replayCopy != nil else { return }
        replayCopyBytes += buffer.readableBytes
        if replayCopyBytes > replayLimit {
            replayCopy = nil  // too much to keep: a failure now closes the connection, as any other
        } else {
            replayCopy?.append(buffer)
        }
    }

    /// Client half: the pod spoke, so the bytes reached it; a replay would send them twice.
    private func podSpoke() {
        replayCopy = nil
    }

    /// Client half: leaves the pump, with every byte it passed on (and its EOF) back in a stand-by handler.
    /// False, with nothing changed, when there is no copy to replay.
    private func takeOutForReplay() -> Bool {
        guard let context, let copy = replayCopy, context.channel.isActive else { return false }
        let standby = StandbyHandler(bufferLimit: 64 * 1024, endOfInputIsDeath: false, eventLoop: context.eventLoop)
        standby.keep(copy, endOfInput: inputClosed)
        do {
            try context.channel.syncOptions?.setOption(.autoRead, value: false)
            try context.pipeline.syncOperations.addHandler(standby)
        } catch {
            return false
        }
        partner = nil
        replayCopy = nil
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        return true
    }

    /// Upstream half: says how the pump ended, once.
    private func finishReplay(_ error: (any Error)?) {
        let promise = replayed
        replayed = nil
        promise?.succeed(error)
    }

    /// A small piece of a large read (a SPDY stream's share of a connection read, or a short read into a buffer
    /// grown for bulk) keeps all of that read alive while it waits for a slow partner: such a piece, one that keeps
    /// more than eight times its size and a page alive, goes on as a copy of its own bytes.
    private func partnerWrite(_ data: NIOAny) {
        guard let context else { return }
        let buffer = unwrapOutboundIn(data)
        guard buffer.storageCapacity > 8 * buffer.readableBytes + 4096 else {
            context.write(data, promise: nil)
            return
        }
        var copy = context.channel.allocator.buffer(capacity: buffer.readableBytes)
        copy.writeImmutableBuffer(buffer)
        context.write(wrapOutboundOut(copy), promise: nil)
    }

    private func partnerFlush() {
        context?.flush()
    }

    private var partnerWritable: Bool {
        context?.channel.isWritable ?? false
    }

    private func partnerBecameWritable() {
        if pendingRead {
            pendingRead = false
            context?.read()
        }
    }

    /// The partner's remote finished sending: pass the FIN on after everything queued is written (to a stream
    /// without half-close, as the local EOF it bounds its wait on; see the type's note).
    private func partnerInputClosed() {
        guard let context else { return }
        let flushed = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(NIOAny(ByteBuffer()), promise: flushed)
        flushed.futureResult.assumeIsolated().whenComplete { _ in
            context.close(mode: .output, promise: nil)
        }
    }

    private func partnerClosed() {
        guard let context else { return }
        // Deliver what is queued before closing, as a TCP proxy would.
        let flushed = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(NIOAny(ByteBuffer()), promise: flushed)
        flushed.futureResult.assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }
}

extension PumpHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        self.partner = nil
        finishReplay(nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        count(buffer.readableBytes)
        if replayed != nil, buffer.readableBytes > 0 {
            // Upstream half: the pod's first byte; nothing can be replayed from now on.
            partner?.podSpoke()
            finishReplay(nil)
        }
        keepForReplay(buffer)
        partner?.partnerWrite(data)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        partner?.partnerFlush()
        if readIsAnswer { firstAnswer?.fire() }
    }

    func channelInactive(context: ChannelHandlerContext) {
        partner?.partnerClosed()
        finishReplay(nil)
        firstAnswer?.fire()
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed {
            inputClosed = true
            partner?.partnerInputClosed()
            firstAnswer?.fire()
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        if replayed != nil, neverReachedPod(error), partner?.takeOutForReplay() == true {
            // The stream never reached the pod: the client waits for another, with its bytes.
            partner = nil
            finishReplay(error)
        }
        // One broken connection never takes anything else down: close this pair only.
        context.close(promise: nil)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            partner?.partnerBecameWritable()
        }
        context.fireChannelWritabilityChanged()
    }

    func read(context: ChannelHandlerContext) {
        if inputClosed { return }
        if let partner, partner.partnerWritable {
            context.read()
        } else {
            pendingRead = true
        }
    }
}

/// A callback both halves of a pump share, run by whichever comes first. Used on the pump's one event loop only.
private final class FirstAnswer {
    private var callback: (() -> Void)?

    init(_ callback: @escaping () -> Void) {
        self.callback = callback
    }

    func fire() {
        let callback = self.callback
        self.callback = nil
        callback?()
    }
}
