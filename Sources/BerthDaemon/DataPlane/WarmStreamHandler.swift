import DequeModule
import NIOCore

/// How a warm stream's wait ended.
enum WarmStreamExit: Sendable {
    /// It was handed to a connection.
    case handedOut
    /// The server closed it, or it failed, while it was idle.
    case died
}

/// Guards an upstream stream while it waits, pre-opened, for a connection.
///
/// It keeps reading so that a server-side close (the kubelet's idle timeout, a pod dying) is seen at
/// once and the stream is dropped instead of being handed out dead. Bytes the server sends first
/// (a greeting) are kept, up to `bufferLimit`, and replayed into the pump on hand-off; past the
/// limit it stops reading, so an idle stream never buffers without bound.
final class WarmStreamHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer

    private let bufferLimit: Int
    private var buffered = Deque<ByteBuffer>()
    private var bufferedBytes = 0
    private var suppressedRead = false
    private var context: ChannelHandlerContext?
    private var finished = false
    private let exit: EventLoopPromise<WarmStreamExit>

    /// Completes when the stream is handed out or dies, whichever comes first.
    let exitFuture: EventLoopFuture<WarmStreamExit>

    init(bufferLimit: Int, eventLoop: any EventLoop) {
        self.bufferLimit = bufferLimit
        self.exit = eventLoop.makePromise()
        self.exitFuture = exit.futureResult
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        finish(.died)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        bufferedBytes += buffer.readableBytes
        buffered.append(buffer)
    }

    func channelReadComplete(context: ChannelHandlerContext) {}

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed {
            // The server ended its side before anyone used the stream: it is of no use any more.
            die(context: context)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish(.died)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
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
        finish(.died)
        context.close(promise: nil)
    }

    private func finish(_ how: WarmStreamExit) {
        guard !finished else { return }
        finished = true
        exit.succeed(how)
    }

    /// Whether the stream can still be handed out (checked on its event loop).
    var isAlive: Bool {
        guard let context, !finished else { return false }
        return context.channel.isActive
    }

    /// Hands the stream over: replays buffered bytes to the handlers after this one (the pump) and
    /// removes itself. Returns false, and leaves the stream alone, if it already died.
    func handOff() -> Bool {
        guard let context, !finished, context.channel.isActive else { return false }
        finish(.handedOut)
        let hadData = !buffered.isEmpty
        while let buffer = buffered.popFirst() {
            context.fireChannelRead(NIOAny(buffer))
        }
        bufferedBytes = 0
        if hadData { context.fireChannelReadComplete() }
        if suppressedRead {
            suppressedRead = false
            context.read()
        }
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        return true
    }
}
