import NIOCore

/// Holds every byte of one API-server connection for a fixed time in each direction, so that a long
/// network path (a laptop 40 ms from its cluster) can be modelled on loopback. It sits first in the
/// pipeline, under TLS, so the TLS handshake, the HTTP upgrade and every port-forward frame pay the delay.
/// The kernel's TCP handshake does not: a new connection costs one round trip less than on a real path.
///
/// Order is kept: each byte is released no earlier than the ones before it. Reading from the socket
/// pauses while more than `inboundLimit` bytes wait, so a bulk transfer stays bounded in memory.
final class LinkDelayHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// Bytes held inbound before the socket is read no further.
    static let inboundLimit = 1 << 20

    private let oneWayDelay: @Sendable () -> TimeAmount
    private var inboundDue = NIODeadline.uptimeNanoseconds(0)
    private var outboundDue = NIODeadline.uptimeNanoseconds(0)
    private var inboundQueued = 0
    private var outboundQueued = 0
    private var inboundBytes = 0
    private var readHeld = false

    /// `oneWayDelay` is asked at each event, so a change applies to open connections too.
    init(oneWayDelay: @escaping @Sendable () -> TimeAmount) {
        self.oneWayDelay = oneWayDelay
    }

    // MARK: Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let delay = oneWayDelay()
        guard delay > .zero || inboundQueued > 0 else {
            context.fireChannelRead(data)
            return
        }
        let bytes = unwrapInboundIn(data).readableBytes
        inboundBytes += bytes
        later(context, inbound: true, delay: delay) { handler, context in
            handler.inboundBytes -= bytes
            context.fireChannelRead(data)
            context.fireChannelReadComplete()
            if handler.readHeld, handler.inboundBytes <= Self.inboundLimit {
                handler.readHeld = false
                context.read()
            }
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        // With bytes held, each release fires its own read-complete.
        if inboundQueued == 0 { context.fireChannelReadComplete() }
    }

    func channelInactive(context: ChannelHandlerContext) {
        guard inboundQueued > 0 else { return context.fireChannelInactive() }
        later(context, inbound: true, delay: .zero) { _, context in context.fireChannelInactive() }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard inboundQueued > 0 else { return context.fireUserInboundEventTriggered(event) }
        // Events such as half-closure follow the bytes that came before them.
        later(context, inbound: true, delay: .zero) { _, context in context.fireUserInboundEventTriggered(event) }
    }

    func read(context: ChannelHandlerContext) {
        if inboundBytes > Self.inboundLimit {
            readHeld = true
        } else {
            context.read()
        }
    }

    // MARK: Outbound

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let delay = oneWayDelay()
        guard delay > .zero || outboundQueued > 0 else {
            context.write(data, promise: promise)
            return
        }
        later(context, inbound: false, delay: delay) { _, context in context.write(data, promise: promise) }
    }

    func flush(context: ChannelHandlerContext) {
        guard outboundQueued > 0 else { return context.flush() }
        later(context, inbound: false, delay: .zero) { _, context in context.flush() }
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        // Bytes already written leave before the close, as they would through a slow path.
        guard outboundQueued > 0 else { return context.close(mode: mode, promise: promise) }
        later(context, inbound: false, delay: .zero) { _, context in context.close(mode: mode, promise: promise) }
    }

    // MARK: Scheduling

    /// Runs `action` `delay` from now, and never before an earlier action of the same direction.
    private func later(
        _ context: ChannelHandlerContext, inbound: Bool, delay: TimeAmount,
        _ action: @escaping (LinkDelayHandler, ChannelHandlerContext) -> Void
    ) {
        let previous = inbound ? inboundDue : outboundDue
        let due = max(NIODeadline.now() + delay, previous + .nanoseconds(1))
        if inbound {
            inboundDue = due
            inboundQueued += 1
        } else {
            outboundDue = due
            outboundQueued += 1
        }
        context.eventLoop.assumeIsolated().scheduleTask(deadline: due) {
            if inbound { self.inboundQueued -= 1 } else { self.outboundQueued -= 1 }
            action(self, context)
        }
    }
}
