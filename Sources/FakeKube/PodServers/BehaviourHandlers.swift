import NIOCore
import NIOHTTP1

/// `echo`: sends back what it reads. It reads only while the peer keeps up (autoRead is off), and a
/// half-close from the peer is answered with a half-close after the echoed bytes.
final class EchoHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    func channelActive(context: ChannelHandlerContext) {
        context.read()
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.write(data, promise: nil)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
        if context.channel.isWritable { context.read() }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { context.read() }
        context.fireChannelWritabilityChanged()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed {
            // The input is already shut, so any close is a full close, which would drop unsent echoes:
            // close only once everything queued before this point has reached the socket.
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(ByteBuffer())).whenComplete { _ in channel.close(promise: nil) }
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

/// What `sink` and `source` do with what the peer sends: read it and drop it, and close when the peer half-closes
/// or the connection fails.
protocol DiscardsInput: ChannelInboundHandler where InboundIn == ByteBuffer {}

extension DiscardsInput {
    func channelReadComplete(context: ChannelHandlerContext) {
        context.read()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed {
            context.close(promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

/// `sink`: reads and discards everything; closes its side when the peer half-closes.
final class SinkHandler: DiscardsInput, Sendable {
    typealias InboundIn = ByteBuffer

    func channelActive(context: ChannelHandlerContext) {
        context.read()
    }
}

/// `source`: streams a repeating byte pattern (0, 1, …, 255, 0, …) for as long as the peer reads it,
/// writing only while the channel is writable.
final class SourceHandler: DiscardsInput {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private static let chunk: ByteBuffer = {
        var buffer = ByteBuffer()
        for index in 0..<(64 * 1024) { buffer.writeInteger(UInt8(truncatingIfNeeded: index)) }
        return buffer
    }()

    func channelActive(context: ChannelHandlerContext) {
        context.read()
        pump(context: context)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        pump(context: context)
    }

    private func pump(context: ChannelHandlerContext) {
        while context.channel.isActive && context.channel.isWritable {
            context.write(wrapOutboundOut(Self.chunk), promise: nil)
            context.flush()
        }
    }
}

/// `http`: answers every request with JSON naming the pod, its namespace and the port, keeping the
/// connection alive when the client asks for it, until the client half-closes: then it closes once the last
/// answer is written, as real servers do (Go's net/http, nginx). A keep-alive connection whose client has gone
/// (curl closes its socket when it exits) would otherwise stay open in the pod, and in every forward to it, for ever.
final class PodHTTPHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let namespace: String
    private let pod: String
    private let port: Int
    private var head: HTTPRequestHead?
    /// The write of the last answer, which a half-close waits for before closing.
    private var lastAnswer: EventLoopFuture<Void>?

    init(namespace: String, pod: String, port: Int) {
        self.namespace = namespace
        self.pod = pod
        self.port = port
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
        case .body:
            break
        case .end:
            guard let head else { return }
            self.head = nil
            let body: JSON = [
                "pod": .string(pod), "namespace": .string(namespace), "port": .int(port),
                "method": .string(head.method.rawValue), "path": .string(head.uri),
            ]
            var buffer = context.channel.allocator.buffer(capacity: 256)
            buffer.writeString(body.serialized() + "\n")
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: "application/json")
            headers.add(name: "Content-Length", value: String(buffer.readableBytes))
            let keepAlive = head.isKeepAlive
            if !keepAlive { headers.add(name: "Connection", value: "close") }
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .ok, headers: headers))), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
            let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
            lastAnswer = done
            if !keepAlive {
                done.whenComplete { [channel = context.channel] _ in channel.close(promise: nil) }
            }
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed {
            // The client sends no more requests: end the connection once its last answer is out.
            let channel = context.channel
            if let lastAnswer {
                lastAnswer.whenComplete { _ in channel.close(promise: nil) }
            } else {
                channel.close(promise: nil)
            }
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
