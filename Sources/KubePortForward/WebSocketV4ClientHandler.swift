import NIOCore
import NIOWebSocket

// After the upgrade, this handler turns the v4 channel protocol into a plain byte stream for ONE port:
// inbound channel-0 payloads become ByteBuffers, outbound ByteBuffers become masked `[0][bytes]`
// messages, and text on channel 1 becomes `PortForwardError.remoteError`.
//
// Half-close: v4 cannot tell the pod "no more bytes" without closing the whole WebSocket. Closing at once
// on local EOF would cut off the answer of every request/response client that half-closes after its
// request (`nc`, scripts piping a query, HTTP/1.0). So on `close(mode: .output)` we keep reading and
// close the WebSocket when the pod closes or when nothing arrived for `localEOFGrace` (which bounds the
// servers that wait for an EOF they can never see). Real runtimes behave alike: they close both
// directions about a second after one ends.

/// The v4 port-forward byte stream for one port, client side.
final class WebSocketV4ClientHandler: ChannelDuplexHandler {
    typealias InboundIn = WebSocketFrame
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = WebSocketFrame

    private let pod: String
    private let port: Int
    private let localEOFGrace: TimeAmount
    /// Called once on the event loop when both port prefixes are verified (nil after) or the handshake fails.
    private var ready: ((Result<Void, PortForwardError>) -> Void)?
    private var prefixSeen: [Bool] = [false, false]
    private var continuationChannel: UInt8?
    private var errorText = ""
    private var outputClosed = false
    private var closeSent = false
    private var graceTimer: Scheduled<Void>?
    private var maskingKeys = MaskingKeySource()

    init(pod: String, port: Int, localEOFGrace: TimeAmount, ready: @escaping (Result<Void, PortForwardError>) -> Void) {
        self.pod = pod
        self.port = port
        self.localEOFGrace = localEOFGrace
        self.ready = ready
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .binary, .continuation:
            var payload = frame.unmaskedData
            let channel = frame.opcode == .binary ? payload.readInteger(as: UInt8.self) : continuationChannel
            continuationChannel = frame.fin ? nil : channel
            guard let channel else { return }
            received(channel: channel, payload: payload, first: frame.opcode == .binary, context: context)
        case .connectionClose:
            // The kubelet closes when the pod side is done: answer and end the stream.
            sendClose(context: context, then: true)
        case .ping:
            context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .pong, maskKey: maskingKeys.next(), data: frame.unmaskedData)), promise: nil)
        default:
            break
        }
    }

    private func received(channel: UInt8, payload: ByteBuffer, first: Bool, context: ChannelHandlerContext) {
        guard channel < 2 else { return }  // other ports' channels: not ours
        if !prefixSeen[Int(channel)] {
            guard first, payload.readableBytes == 2,
                let port = payload.getInteger(at: payload.readerIndex, endianness: .little, as: UInt16.self)
            else {
                fail(.portPrefixInvalid(channel: channel, detail: "expected 2 bytes of port, got \(payload.readableBytes)"), context: context)
                return
            }
            guard Int(port) == self.port else {
                fail(.portPrefixInvalid(channel: channel, detail: "port \(port), expected \(self.port)"), context: context)
                return
            }
            prefixSeen[Int(channel)] = true
            if prefixSeen[0] && prefixSeen[1], let ready {
                self.ready = nil
                ready(.success(()))
            }
            return
        }
        guard payload.readableBytes > 0 else { return }
        if channel == 0 {
            rearmGrace(context: context)
            context.fireChannelRead(wrapInboundOut(payload))
        } else {
            // One error message ends the stream, as with the Python client and kube-rs.
            errorText += String(buffer: payload)
            context.fireErrorCaught(PortForwardError.remoteError(pod: pod, port: port, message: errorText))
            sendClose(context: context, then: true)
        }
    }

    private func fail(_ error: PortForwardError, context: ChannelHandlerContext) {
        if let ready {
            self.ready = nil
            ready(.failure(error))
        } else {
            context.fireErrorCaught(error)
        }
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        graceTimer?.cancel()
        if let ready {
            self.ready = nil
            ready(.failure(.handshakeIncomplete("closed before the port prefixes arrived")))
        }
        context.fireChannelInactive()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let buffer = unwrapOutboundIn(data)
        // v4 receivers reject empty messages; an empty write has nothing to say anyway.
        guard buffer.readableBytes > 0, !outputClosed else {
            promise?.succeed()
            return
        }
        var prefix = context.channel.allocator.buffer(capacity: 1)
        prefix.writeInteger(UInt8(0))
        let frame = WebSocketFrame(fin: true, opcode: .binary, maskKey: maskingKeys.next(), data: buffer, extensionData: prefix)
        context.write(wrapOutboundOut(frame), promise: promise)
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        switch mode {
        case .output:
            // See the half-close note at the top of this file.
            outputClosed = true
            rearmGrace(context: context)
            promise?.succeed()
        case .input:
            promise?.fail(ChannelError.operationUnsupported)
        case .all:
            graceTimer?.cancel()
            sendClose(context: context, then: false)
            context.close(mode: .all, promise: promise)
        }
    }

    private func rearmGrace(context: ChannelHandlerContext) {
        guard outputClosed else { return }
        graceTimer?.cancel()
        let channel = context.channel
        graceTimer = context.eventLoop.scheduleTask(in: localEOFGrace) {
            channel.close(promise: nil)
        }
    }

    private func sendClose(context: ChannelHandlerContext, then hangUp: Bool) {
        guard !closeSent else { return }
        closeSent = true
        var body = context.channel.allocator.buffer(capacity: 2)
        body.write(webSocketErrorCode: .normalClosure)
        let frame = WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: maskingKeys.next(), data: body)
        let written = context.writeAndFlush(wrapOutboundOut(frame))
        if hangUp {
            let channel = context.channel
            written.whenComplete { _ in channel.close(promise: nil) }
        }
    }
}
