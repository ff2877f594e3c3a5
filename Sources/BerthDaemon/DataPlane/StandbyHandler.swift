import DequeModule
import NIOCore

/// How a stand-by wait ended.
enum StandbyExit: Sendable {
    /// The channel was handed to the pump.
    case handedOut
    /// The channel closed (or, for a warm stream, its remote finished sending) before that; `cause` is
    /// the error that closed it when there was one (a kubelet's message on the error channel, say).
    case died(cause: (any Error)?)
    /// A warm stream's pod sent more than the buffer keeps before any client came (it talks unasked, a
    /// stream of data rather than a greeting), so the stream was closed: left unread, it would stop its whole
    /// SPDY session from reading (docs/data-plane.md, "Warm streams").
    case overflowed
}

/// Guards a channel from the moment it exists until the pump takes it over: an accepted client
/// waiting for an endpoint, an upstream stream between its connect and its bridge, a warm stream
/// waiting for a connection.
///
/// It is needed even with autoRead off: when the remote sends its last bytes and a FIN, NIO reads
/// everything up to the EOF at once, whatever autoRead says. Without this handler those bytes and
/// the EOF would reach the pipeline's tail and be lost. Here they are kept, up to `bufferLimit`
/// (past it, reads the handler controls stop), and replayed into the pump on hand-off.
///
/// A warm stream reads on purpose, so that a server-side close (the kubelet's idle timeout, a pod
/// dying) is seen at once and the stream is dropped instead of being handed out dead; for it,
/// `endOfInputIsDeath` is set, because a stream whose server already finished is of no use. A warm
/// stream is also closed once its pod has sent more than `bufferLimit` (`StandbyExit.overflowed`).
final class StandbyHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer

    private var bufferLimit: Int
    private var buffered = Deque<ByteBuffer>()
    private var bufferedBytes = 0
    private var sawEndOfInput = false
    private var suppressedRead = false
    private var context: ChannelHandlerContext?
    private var finished = false
    /// The first error the channel reported while waiting: why it died, for the user.
    private var deathCause: (any Error)?
    private let exit: EventLoopPromise<StandbyExit>

    /// Whether the remote's FIN makes the channel useless (true for warm streams).
    var endOfInputIsDeath: Bool
    /// Whether more than `bufferLimit` bytes end the wait (warm streams: nobody asked for them).
    private var overflowIsDeath = false

    /// Completes when the channel is handed out or dies, whichever comes first.
    let exitFuture: EventLoopFuture<StandbyExit>

    init(bufferLimit: Int, endOfInputIsDeath: Bool, eventLoop: any EventLoop) {
        self.bufferLimit = bufferLimit
        self.endOfInputIsDeath = endOfInputIsDeath
        self.exit = eventLoop.makePromise()
        self.exitFuture = exit.futureResult
    }

    /// A handler that never made it into a pipeline (its channel closed first) still ends its wait:
    /// whoever awaits `exitFuture` learns the stream died instead of waiting forever.
    deinit {
        if !finished { exit.succeed(.died(cause: deathCause)) }
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        finish(.died(cause: deathCause))
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        bufferedBytes += buffer.readableBytes
        buffered.append(buffer)
        if overflowIsDeath && bufferedBytes > bufferLimit { overflow(context: context) }
    }

    func channelReadComplete(context: ChannelHandlerContext) {}

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed {
            sawEndOfInput = true
            if endOfInputIsDeath { die(context: context) }
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish(.died(cause: deathCause))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        if deathCause == nil { deathCause = error }
        die(context: context)
    }

    func read(context: ChannelHandlerContext) {
        if bufferedBytes >= bufferLimit {
            suppressedRead = true
        } else {
            context.read()
        }
    }

    private func die(context: ChannelHandlerContext) {
        finish(.died(cause: deathCause))
        context.close(promise: nil)
    }

    private func overflow(context: ChannelHandlerContext) {
        finish(.overflowed)
        context.close(promise: nil)
    }

    private func finish(_ how: StandbyExit) {
        guard !finished else { return }
        finished = true
        exit.succeed(how)
    }

    /// Starts with bytes (and an EOF) already read: a client taken back out of the pump for a replay. Call it
    /// before the handler is added.
    func keep(_ buffers: [ByteBuffer], endOfInput: Bool) {
        buffered.append(contentsOf: buffers)
        bufferedBytes += buffers.reduce(0) { $0 + $1.readableBytes }
        sawEndOfInput = endOfInput
    }

    /// Turns a stream into a warm one: from now on its remote's FIN means it is dead, and more bytes than
    /// `bufferLimit` (the forward's `warmStreamBufferLimit`, which replaces the limit the connector set when it
    /// installed the handler) mean its pod talks unasked.
    func becomeWarm(bufferLimit: Int) {
        self.bufferLimit = bufferLimit
        endOfInputIsDeath = true
        overflowIsDeath = true
        guard let context else { return }
        if sawEndOfInput {
            die(context: context)
        } else if bufferedBytes > bufferLimit {
            overflow(context: context)
        } else if suppressedRead && bufferedBytes < bufferLimit {
            // Stopped under the connector's smaller limit: room again under the forward's.
            suppressedRead = false
            context.read()
        }
    }

    /// Whether the channel can still be handed out (checked on its event loop).
    var isAlive: Bool {
        guard let context, !finished else { return false }
        return context.channel.isActive
    }

    /// Hands the channel over: replays what was kept (bytes, then the EOF) to the handlers after
    /// this one, the pump, and removes itself. False, with nothing changed, if the channel died.
    func handOff() -> Bool {
        guard let context, isAlive else { return false }
        finish(.handedOut)
        let hadData = !buffered.isEmpty
        while let buffer = buffered.popFirst() {
            context.fireChannelRead(NIOAny(buffer))
        }
        bufferedBytes = 0
        if hadData { context.fireChannelReadComplete() }
        if sawEndOfInput {
            context.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        }
        if suppressedRead {
            suppressedRead = false
            context.read()
        }
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        return true
    }
}

extension Channel {
    /// The channel's stand-by handler, if it has one. Must be called on the channel's event loop.
    var standbyHandler: StandbyHandler? {
        try? pipeline.syncOperations.handler(type: StandbyHandler.self)
    }
}
