import NIOCore
import NIOHTTP1

// kube-apiserver (Go's net/http) keeps reading a connection while a handler runs, so a client that closes
// its connection ends its watch at once. NIO's HTTPServerPipelineHandler instead stops reading until the
// response ends: a watch whose client had gone stayed registered until the client reset the connection.
// This handler keeps HTTP/1.1 request order the same way but reads on while a response streams; only once
// a next (pipelined) request starts arriving does it hold reads, as Go does, which bounds what it buffers.

/// Hands the API handler one request at a time, in order, and keeps reading while a response streams so
/// that a client's close (TLS close_notify, FIN, reset) is seen at once.
final class HTTPRequestSequencer: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private enum Exchange {
        /// No request in progress.
        case idle
        /// A request's head went up; its end has not.
        case requestStreaming
        /// The response ended before its request did (an early error answer).
        case responseEndedEarly
        /// The whole request went up; its response has not ended. Later requests wait in `queued`.
        case awaitingResponse
    }

    private var exchange = Exchange.idle
    private var queued = CircularBuffer<HTTPServerRequestPart>()
    private var readHeld = false

    private var mustHoldReads: Bool { exchange == .awaitingResponse && !queued.isEmpty }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        if exchange == .awaitingResponse || !queued.isEmpty {
            queued.append(part)
        } else {
            forward(part, context: context)
        }
    }

    func read(context: ChannelHandlerContext) {
        if mustHoldReads {
            readHeld = true
        } else {
            context.read()
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let isEnd: Bool
        if case .end = unwrapOutboundIn(data) { isEnd = true } else { isEnd = false }
        context.write(data, promise: promise)
        guard isEnd else { return }
        switch exchange {
        case .requestStreaming: exchange = .responseEndedEarly
        case .awaitingResponse: exchange = .idle
        case .idle, .responseEndedEarly: break
        }
        deliverQueued(context: context)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        // Removed because the connection closed: nobody is left to answer what is queued (and the response
        // in progress never ended, so answering would write into it).
        guard context.channel.isActive else {
            queued.removeAll()
            return
        }
        // Removed for a protocol upgrade: anything queued belongs to the handlers that follow.
        while let part = queued.popFirst() { context.fireChannelRead(wrapInboundOut(part)) }
        if readHeld { context.read() }
    }

    private func forward(_ part: HTTPServerRequestPart, context: ChannelHandlerContext) {
        switch (exchange, part) {
        case (.idle, .head): exchange = .requestStreaming
        case (.requestStreaming, .end): exchange = .awaitingResponse
        case (.responseEndedEarly, .end): exchange = .idle
        default: break
        }
        context.fireChannelRead(wrapInboundOut(part))
    }

    private func deliverQueued(context: ChannelHandlerContext) {
        var delivered = false
        while exchange != .awaitingResponse, let part = queued.popFirst() {
            forward(part, context: context)
            delivered = true
        }
        if delivered { context.fireChannelReadComplete() }
        if readHeld && !mustHoldReads {
            readHeld = false
            context.read()
        }
    }
}
