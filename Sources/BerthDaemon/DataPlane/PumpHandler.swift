import NIOCore

/// One half of the byte pump: sits at the tail of one channel and writes what it reads into its
/// partner's channel. Both channels share one event loop, so partners call each other directly.
///
/// Backpressure: a `read()` is let through only while the partner is writable; otherwise it is
/// parked and replayed when the partner's writability returns. At most one read's worth of bytes is
/// ever in flight beyond the partner's write-buffer watermark, so no buffer grows without bound.
///
/// Half-close: the remote's EOF on one side becomes `close(mode: .output)` on the other, once that
/// side's queued writes are flushed. A side that cannot half-close (WebSocket v4) keeps its output
/// open instead, and the connection ends when its remote ends it.
final class PumpHandler {
    private var partner: PumpHandler?
    private var context: ChannelHandlerContext?
    private var pendingRead = false
    private var inputClosed = false
    private let canHalfClose: Bool
    private let count: (Int) -> Void

    private init(canHalfClose: Bool, count: @escaping (Int) -> Void) {
        self.canHalfClose = canHalfClose
        self.count = count
    }

    /// Makes the two halves for a client channel and an upstream channel.
    static func pair(upstreamCanHalfClose: Bool, counters: [ByteCounters]) -> (client: PumpHandler, upstream: PumpHandler) {
        let client = PumpHandler(canHalfClose: true) { n in for c in counters { c.addIn(n) } }
        let upstream = PumpHandler(canHalfClose: upstreamCanHalfClose) { n in for c in counters { c.addOut(n) } }
        client.partner = upstream
        upstream.partner = client
        return (client, upstream)
    }

    private func partnerWrite(_ data: NIOAny) {
        context?.write(data, promise: nil)
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

    /// The partner's remote finished sending: pass the FIN on after everything queued is written.
    private func partnerInputClosed() {
        guard let context, canHalfClose else { return }
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
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        count(unwrapInboundIn(data).readableBytes)
        partner?.partnerWrite(data)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        partner?.partnerFlush()
    }

    func channelInactive(context: ChannelHandlerContext) {
        partner?.partnerClosed()
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed {
            inputClosed = true
            partner?.partnerInputClosed()
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
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
