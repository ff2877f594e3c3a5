import NIOCore
import NIOWebSocket

// The KEP-4006 tunnel carries a SPDY session as a plain byte stream cut arbitrarily into binary
// WebSocket messages (0-byte messages included). This adapter turns binary payloads into ByteBuffers and
// outgoing ByteBuffers into binary messages, so the SPDY codec above it never knows it is tunnelled.

/// Bridges WebSocket binary messages to a byte stream, server side (unmasked sends).
final class WebSocketByteStreamHandler: ChannelDuplexHandler {
    typealias InboundIn = WebSocketFrame
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = WebSocketFrame

    private var closeSent = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .binary, .continuation:
            let payload = frame.unmaskedData
            if payload.readableBytes > 0 { context.fireChannelRead(wrapInboundOut(payload)) }
        case .ping:
            context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData)), promise: nil)
        case .connectionClose:
            // A close reads as EOF on the SPDY side: answer it and hang up.
            sendCloseThenHangUp(context: context)
        case .text:
            // kubectl's own reader fails on text; so does the tunnel.
            context.fireErrorCaught(PortForwardProtocolError.webSocketFrameUnexpected(opcode: "text"))
        default:
            break
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let buffer = unwrapOutboundIn(data)
        guard buffer.readableBytes > 0 else {
            promise?.succeed()
            return
        }
        context.write(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .binary, data: buffer)), promise: promise)
    }

    private func sendCloseThenHangUp(context: ChannelHandlerContext) {
        guard !closeSent else { return }
        closeSent = true
        var body = context.channel.allocator.buffer(capacity: 2)
        body.write(webSocketErrorCode: .normalClosure)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, data: body)))
            .whenComplete { _ in channel.close(promise: nil) }
    }
}
