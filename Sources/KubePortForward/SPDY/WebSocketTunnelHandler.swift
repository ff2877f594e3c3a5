import NIOCore
import NIOWebSocket

// The KEP-4006 tunnel carries the SPDY session as a plain byte stream cut arbitrarily into binary WebSocket
// messages (docs/port-forward.md, "SPDY keepalive and shutdown" and "berth's SPDY client"). This handler
// reads the server's frames from the TLS byte stream itself (`WebSocketFrameStreamReader`: binary payloads pass
// on as they arrive, uncopied) and turns outbound ByteBuffers into masked binary messages, so the SPDY codec
// above never knows it is tunnelled. A close frame reads as EOF.

/// Bridges WebSocket binary messages to a byte stream, client side (masked sends). It sits right above TLS, with
/// NIO's frame encoder below it for what it sends and no frame decoder: `WebSocketTunnelUpgrader` installs neither
/// NIO's decoder nor anything else that reads.
///
/// What is written between two flushes goes out as one message: the SPDY codec writes a frame's header and payload,
/// or a stream's two SYN_STREAMs, as separate buffers, and a message (with its mask and, below, its TLS record) per
/// buffer cost berth and the API server a decode and a decryption each. The message's bytes are gathered behind room
/// for the WebSocket header, so NIO's frame encoder masks them in place and writes its header in front: header and
/// payload reach TLS as one buffer and leave as one record.
final class WebSocketTunnelHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = WebSocketFrame

    private var reader = WebSocketFrameStreamReader()
    /// A close message, a text message or a frame the reader refused came: what follows it is not read.
    private var readingEnded = false
    private var closeSent = false
    /// Bytes written since the last flush, and the promise that completes when they are sent.
    private var pending: ByteBuffer?
    private var pendingPromise: EventLoopPromise<Void>?
    private var maskingKeys = MaskingKeySource()

    /// The longest WebSocket header: 2 bytes, a 64-bit length and the masking key.
    static let headerRoom = 14

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        do {
            while !readingEnded, let event = try reader.next(&buffer) {
                receive(event, context: context)
            }
        } catch {
            readingEnded = true
            context.fireErrorCaught(PortForwardError.protocolNotNegotiated(got: error.description))
            context.close(promise: nil)
        }
    }

    private func receive(_ event: WebSocketFrameStreamReader.Event, context: ChannelHandlerContext) {
        switch event {
        case .data(.binary, let bytes), .data(.continuation, let bytes):
            if bytes.readableBytes > 0 { context.fireChannelRead(wrapInboundOut(bytes)) }
        case .data(.text, _):
            // The tunnel is binary only; kubectl fails the same way.
            readingEnded = true
            context.fireErrorCaught(PortForwardError.protocolNotNegotiated(got: "a text message in the SPDY tunnel"))
            context.close(promise: nil)
        case .control(.ping, let body):
            context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .pong, maskKey: maskingKeys.next(), data: body)), promise: nil)
        case .control(.connectionClose, _):
            readingEnded = true
            sendClose(context: context)
            context.close(promise: nil)
        default:
            break
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        var buffer = unwrapOutboundIn(data)
        guard buffer.readableBytes > 0 else {
            promise?.succeed()
            return
        }
        if pending == nil {
            var message = context.channel.allocator.buffer(capacity: Self.headerRoom + max(buffer.readableBytes, 256))
            message.moveWriterIndex(forwardBy: Self.headerRoom)
            message.moveReaderIndex(forwardBy: Self.headerRoom)
            message.writeBuffer(&buffer)
            pending = message
        } else {
            pending!.writeBuffer(&buffer)
        }
        if let promise {
            if let pendingPromise {
                pendingPromise.futureResult.cascade(to: promise)
            } else {
                pendingPromise = promise
            }
        }
    }

    func flush(context: ChannelHandlerContext) {
        writePending(context: context)
        context.flush()
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        if mode == .all { sendClose(context: context) }
        context.close(mode: mode, promise: promise)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        pending = nil
        let promise = pendingPromise
        pendingPromise = nil
        promise?.fail(ChannelError.ioOnClosedChannel)
    }

    /// Hands what was written since the last flush down as one binary message.
    private func writePending(context: ChannelHandlerContext) {
        guard let buffer = pending else { return }
        let promise = pendingPromise
        pending = nil
        pendingPromise = nil
        context.write(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .binary, maskKey: maskingKeys.next(), data: buffer)), promise: promise)
    }

    private func sendClose(context: ChannelHandlerContext) {
        writePending(context: context)
        guard !closeSent, context.channel.isActive else { return }
        closeSent = true
        var body = context.channel.allocator.buffer(capacity: 2)
        body.write(webSocketErrorCode: .normalClosure)
        context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: maskingKeys.next(), data: body)), promise: nil)
    }
}
