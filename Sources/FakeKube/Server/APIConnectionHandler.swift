import NIOCore
import NIOHTTP1

/// One API-server connection's HTTP handling: reads a request, authenticates it, waits out chaos delays,
/// asks `APIServerCore` for the answer and writes it — including chunked watch streams, one JSON event
/// plus `\n` per chunk, with backpressure (a watcher that stops reading is cut off, and its client
/// resumes from its last resourceVersion).
final class APIConnectionHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    static let maxBody = 1 << 20
    static let maxPendingEvents = 4096

    private struct ActiveWatch {
        var storeID: Int?
        var request: WatchRequest
        var generation: Int
        var lastRV: Int
        var pending: [ByteBuffer] = []
        var timeout: Scheduled<Void>?
        var bookmarks: RepeatedTask?
        var keepAlive: Bool
    }

    private let core: APIServerCore
    private var context: ChannelHandlerContext?
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []
    private var bodyTooLarge = false
    private var watch: ActiveWatch?
    private var watchGeneration = 0
    /// The size of the `X-Padding` header of the answer being written (chaos; never on `/fake/` answers).
    private var padding = 0

    init(core: APIServerCore) {
        self.core = core
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        stopWatch()
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        stopWatch()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body = []
            bodyTooLarge = false
        case .body(var buffer):
            if body.count + buffer.readableBytes > Self.maxBody {
                bodyTooLarge = true
            } else if let bytes = buffer.readBytes(length: buffer.readableBytes) {
                body += bytes
            }
        case .end:
            guard let head else { return }
            self.head = nil
            let keepAlive = head.isKeepAlive
            if bodyTooLarge {
                write(
                    .json(.payloadTooLarge, APIStatus.failure(.payloadTooLarge, reason: "RequestEntityTooLarge", message: "request body too large")),
                    version: head.version, keepAlive: keepAlive)
                return
            }
            padding = head.uri.hasPrefix("/fake/") ? 0 : core.chaos.headerPadding()
            let user = core.users.authenticate(headers: head.headers, channel: context.channel)
            let request = APIRequest(head: head, body: body, user: user)
            body = []
            let delay = core.chaos.delay()
            if delay > .zero {
                let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
                context.eventLoop.scheduleTask(in: TimeAmount(delay)) {
                    bound.value.write(bound.value.core.handle(request), version: head.version, keepAlive: keepAlive)
                }
            } else {
                write(core.handle(request), version: head.version, keepAlive: keepAlive)
            }
        }
    }

    // MARK: Plain answers

    private func write(_ response: APIResponse, version: HTTPVersion, keepAlive: Bool, then action: (@Sendable () -> Void)? = nil) {
        guard let context else { return }
        switch response {
        case .json(let status, let json):
            writeBody(status: status, contentType: "application/json", bytes: json.bytes(), version: version, keepAlive: keepAlive, then: action)
        case .plain(let status, let text):
            writeBody(status: status, contentType: "text/plain", bytes: Array(text.utf8), version: version, keepAlive: keepAlive, then: action)
        case .deferred(let future):
            let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
            future.hop(to: context.eventLoop).whenComplete { result in
                let answer: APIResponse
                switch result {
                case .success(let response): answer = response
                case .failure(let error):
                    answer = .json(.internalServerError, APIStatus.failure(.internalServerError, reason: "InternalError", message: "\(error)"))
                }
                bound.value.write(answer, version: version, keepAlive: keepAlive, then: action)
            }
        case .thenRun(let inner, let next):
            write(inner, version: version, keepAlive: keepAlive, then: next)
        case .watch(let request):
            startWatch(request, version: version, keepAlive: keepAlive)
        }
    }

    private func writeBody(
        status: HTTPResponseStatus, contentType: String, bytes: [UInt8], version: HTTPVersion, keepAlive: Bool,
        then action: (@Sendable () -> Void)?
    ) {
        guard let context else { return }
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: contentType)
        headers.add(name: "Content-Length", value: String(bytes.count))
        headers.add(name: "Cache-Control", value: "no-cache, private")
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        pad(&headers)
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: version, status: status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: bytes)))), promise: nil)
        let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        let channel = context.channel
        if !keepAlive || action != nil {
            done.whenComplete { _ in
                if !keepAlive { channel.close(promise: nil) }
                action?()
            }
        }
    }

    /// Chaos: the oversized header of `chaos/header-padding`.
    private func pad(_ headers: inout HTTPHeaders) {
        if padding > 0 { headers.add(name: "X-Padding", value: String(repeating: "p", count: padding)) }
    }

    // MARK: Watch streams

    private func startWatch(_ request: WatchRequest, version: HTTPVersion, keepAlive: Bool) {
        guard let context else { return }
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "Transfer-Encoding", value: "chunked")
        headers.add(name: "Cache-Control", value: "no-cache, private")
        pad(&headers)

        watchGeneration += 1
        let generation = watchGeneration
        let loop = context.eventLoop
        let bound = NIOLoopBound(self, eventLoop: loop)
        let start = core.store.watch(request.resource, from: request.from) { delivery in
            loop.execute { bound.value.deliver(delivery, generation: generation) }
        }
        // The head goes out once the store counts the watch (deliveries run on this loop, after it), so a client
        // that has its answer finds the watch in the stats (ManyWatchesAgainstFakeKubeTests counted 23 of 24).
        context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: version, status: .ok, headers: headers))), promise: nil)
        switch start {
        case .expired(let requested, let oldest):
            watch = ActiveWatch(storeID: nil, request: request, generation: generation, lastRV: 0, keepAlive: keepAlive)
            let status = APIStatus.expired("too old resource version: \(requested) (\(oldest))")
            send(["type": "ERROR", "object": status])
            endWatch(generation: generation)
        case .started(let id, let initial, let replay, let resourceVersion):
            watch = ActiveWatch(storeID: id, request: request, generation: generation, lastRV: resourceVersion, keepAlive: keepAlive)
            for object in initial where request.matches(object) {
                send(["type": "ADDED", "object": object.typed(request.resource)])
            }
            if request.sendInitialEvents {
                sendBookmark(resourceVersion: resourceVersion, initialEventsEnd: true)
            }
            for event in replay { deliver(.event(event), generation: generation) }
            watch?.timeout = loop.scheduleTask(in: TimeAmount(request.timeout)) {
                bound.value.endWatch(generation: generation)
            }
            if request.bookmarks {
                let interval = TimeAmount(request.bookmarkInterval)
                watch?.bookmarks = loop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { _ in
                    bound.value.periodicBookmark(generation: generation)
                }
            }
        }
    }

    private func deliver(_ delivery: WatchDelivery, generation: Int) {
        guard let active = watch, active.generation == generation else { return }
        switch delivery {
        case .close:
            watch?.storeID = nil
            endWatch(generation: generation)
        case .raw(let bytes, let thenEnd):
            guard let context else { return }
            send(context.channel.allocator.buffer(bytes: bytes))
            if thenEnd {
                watch?.storeID = nil  // the store forgot it already
                endWatch(generation: generation)
            }
        case .event(let event):
            watch?.lastRV = max(active.lastRV, event.resourceVersion)
            if let translated = active.request.translate(event) {
                send(["type": .string(translated.type), "object": translated.object.typed(active.request.resource)])
            }
        }
    }

    private func periodicBookmark(generation: Int) {
        guard let active = watch, active.generation == generation else { return }
        sendBookmark(resourceVersion: active.lastRV, initialEventsEnd: false)
    }

    private func sendBookmark(resourceVersion: Int, initialEventsEnd: Bool) {
        guard let resource = watch?.request.resource else { return }
        var metadata: JSON = ["resourceVersion": .string(String(resourceVersion))]
        if initialEventsEnd { metadata["annotations"] = ["k8s.io/initial-events-end": "true"] }
        send(["type": "BOOKMARK", "object": ["kind": .string(resource.kind), "apiVersion": .string(resource.apiVersion), "metadata": metadata]])
    }

    private func send(_ event: JSON) {
        guard let context, watch != nil else { return }
        var buffer = context.channel.allocator.buffer(capacity: 512)
        buffer.writeString(event.serialized())
        buffer.writeInteger(UInt8(ascii: "\n"))
        send(buffer)
    }

    /// Writes one piece of the stream, or queues it while the client does not read.
    private func send(_ buffer: ByteBuffer) {
        guard let context, watch != nil else { return }
        if watch!.pending.isEmpty && context.channel.isWritable {
            context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
            return
        }
        watch!.pending.append(buffer)
        if watch!.pending.count > Self.maxPendingEvents {
            // The client stopped reading: cut it off rather than buffer without bound.
            stopWatch()
            context.close(promise: nil)
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        while context.channel.isWritable, watch?.pending.isEmpty == false {
            let buffer = watch!.pending.removeFirst()
            context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        }
        context.fireChannelWritabilityChanged()
    }

    /// Ends the stream cleanly (the zero-length chunk); the connection stays usable when kept alive.
    private func endWatch(generation: Int) {
        guard let context, let active = watch, active.generation == generation else { return }
        for buffer in active.pending { context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil) }
        watch?.pending = []
        stopWatch()
        let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !active.keepAlive {
            let channel = context.channel
            done.whenComplete { _ in channel.close(promise: nil) }
        }
    }

    private func stopWatch() {
        guard let active = watch else { return }
        watch = nil
        if let id = active.storeID { core.store.unwatch(id) }
        active.timeout?.cancel()
        active.bookmarks?.cancel()
    }
}
