import Logging
import NIOCore
import SPDY

// The fake kubelet's side of a SPDY port-forward session (docs/port-forward.md, "SPDY streams of one forwarded
// connection"): the client opens an error stream and a data stream per forwarded connection, paired by `requestid`; we
// reply at once, dial the pod when both exist, pump bytes, and always finish by FINning the data stream and then the
// error stream, because kubectl keeps the local socket open until the error stream ends.

/// Serves one SPDY session (direct, or tunnelled in WebSocket) for one pod.
final class SPDYSessionHandler: PodLinkSession {
    typealias InboundIn = SPDYFrame
    typealias OutboundIn = SPDYFrame
    typealias OutboundOut = SPDYFrame

    /// How long the kubelet waits for the partner stream of a `requestid`.
    static let streamPairingTimeout = TimeAmount.seconds(30)

    private enum StreamKind: String { case error, data }

    private struct StreamInfo {
        var kind: StreamKind
        var requestID: String
    }

    private final class Pair {
        let port: Int
        var errorStream: UInt32?
        var dataStream: UInt32?
        var link: PodLink?
        var timeout: Scheduled<Void>?
        init(port: Int) { self.port = port }
    }

    let pod: PortForwardPod
    private let registry: PortForwardRegistry
    let logger: Logger
    let failureMessage: Logger.Message = "port-forward session failed"
    var context: ChannelHandlerContext?
    private var streams: [UInt32: StreamInfo] = [:]
    private var pairs: [String: Pair] = [:]
    var readGate = SessionReadGate<String>()
    private var closing = false

    init(pod: PortForwardPod, registry: PortForwardRegistry, logger: Logger) {
        self.pod = pod
        self.registry = registry
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    // Ending links, read gating (SPDY here has no flow control) and resuming links: PodLinkSession.
    var openLinks: [PodLink] { pairs.values.compactMap(\.link) }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .synStream(let streamID, _, _, _, let headers):
            openStream(streamID, headers: headers, context: context)
        case .data(let streamID, let fin, let payload):
            receiveData(streamID, fin: fin, payload: payload)
        case .rstStream(let streamID, _):
            if let info = streams[streamID] { finishPair(info.requestID, peerReset: streamID) }
        case .ping(let id):
            // Echo only the peer's pings (odd ids: the client's); even ids would be ours.
            if id % 2 == 1, !registry.chaos.ignorePings { context.writeAndFlush(wrapOutboundOut(.ping(id: id)), promise: nil) }
        case .goAway:
            closing = true
            context.close(promise: nil)
        case .synReply, .headers, .windowUpdate, .ignored:
            break
        }
    }

    private func openStream(_ streamID: UInt32, headers: [SPDYHeader], context: ChannelHandlerContext) {
        guard let kind = headers.value("streamtype").flatMap(StreamKind.init(rawValue:)),
            let port = headers.value("port").flatMap(Int.init), (1...65535).contains(port),
            streams[streamID] == nil
        else {
            context.writeAndFlush(wrapOutboundOut(.rstStream(streamID: streamID, status: SPDYConstants.rstProtocolError)), promise: nil)
            return
        }
        // Pre-2016 clients sent no requestid; the kubelet then pairs data stream N with error stream N-2.
        let requestID =
            headers.value("requestid")
            ?? "stream-\(kind == .error ? streamID : streamID &- 2)"
        context.writeAndFlush(wrapOutboundOut(.synReply(streamID: streamID, fin: false, headers: [])), promise: nil)

        let pair = pairs[requestID] ?? Pair(port: port)
        switch kind {
        case .error where pair.errorStream == nil: pair.errorStream = streamID
        case .data where pair.dataStream == nil: pair.dataStream = streamID
        default:
            context.writeAndFlush(wrapOutboundOut(.rstStream(streamID: streamID, status: SPDYConstants.rstProtocolError)), promise: nil)
            return
        }
        streams[streamID] = StreamInfo(kind: kind, requestID: requestID)
        if pairs[requestID] == nil {
            pairs[requestID] = pair
            pair.timeout = context.eventLoop.assumeIsolated().scheduleTask(in: Self.streamPairingTimeout) { [weak self] in
                self?.pairingTimedOut(requestID)
            }
        }
        if pair.errorStream != nil, pair.dataStream != nil {
            pair.timeout?.cancel()
            pair.timeout = nil
            startForwarding(requestID, pair: pair, context: context)
        }
    }

    private func startForwarding(_ requestID: String, pair: Pair, context: ChannelHandlerContext) {
        guard let dataStream = pair.dataStream, let errorStream = pair.errorStream else { return }
        registry.streamOpened(on: context.channel)
        let port = pair.port
        let link = PodLink(
            events: PodLinkEvents(
                data: { [weak self] buffer in
                    self?.write(.data(streamID: dataStream, fin: false, payload: buffer), flush: false)
                },
                flush: { [weak self] in self?.context?.flush() },
                ended: { [weak self] in self?.finishPair(requestID, peerReset: nil) },
                dialFailed: { [weak self] text in
                    self?.write(.data(streamID: errorStream, fin: false, payload: ByteBuffer(string: text)), flush: false)
                },
                blockingChanged: { [weak self] in self?.updateBlocking(requestID) },
                canRead: { [weak self] in self?.context?.channel.isWritable ?? false }
            )
        )
        pair.link = link
        let pod = self.pod
        link.dial(pod.resolve(port), eventLoop: context.eventLoop) { reason in
            "error forwarding port \(port) to pod \(pod.name), uid \(pod.uid): failed to connect to localhost:\(port) inside namespace \"\(pod.namespace)\": \(reason)"
        }
    }

    private func receiveData(_ streamID: UInt32, fin: Bool, payload: ByteBuffer) {
        // Bytes on the error stream (kubectl sends only an empty FIN there) are ignored, as the kubelet does.
        guard let info = streams[streamID], info.kind == .data, let link = pairs[info.requestID]?.link else { return }
        if payload.readableBytes > 0 {
            link.write(payload)
            link.flush()
        }
        if fin { link.shutdownOutput() }
    }

    /// Ends a pair: FIN the data stream (unless the client reset it), then always FIN the error stream.
    private func finishPair(_ requestID: String, peerReset: UInt32?) {
        guard let pair = pairs.removeValue(forKey: requestID) else { return }
        pair.timeout?.cancel()
        if let link = pair.link {
            link.close()
            registry.streamClosed(on: context?.channel)
        }
        if let data = pair.dataStream {
            streams[data] = nil
            if data != peerReset { write(.data(streamID: data, fin: true, payload: ByteBuffer()), flush: false) }
        }
        if let error = pair.errorStream {
            streams[error] = nil
            if error != peerReset { write(.data(streamID: error, fin: true, payload: ByteBuffer()), flush: false) }
        }
        context?.flush()
        if readGate.set(requestID, blocking: false) { context?.read() }
    }

    private func pairingTimedOut(_ requestID: String) {
        guard let pair = pairs[requestID], pair.link == nil else { return }
        if let error = pair.errorStream {
            let text = "error forwarding port \(pair.port) to pod \(pod.name), uid \(pod.uid): timed out waiting for streams"
            write(.data(streamID: error, fin: false, payload: ByteBuffer(string: text)), flush: false)
        }
        finishPair(requestID, peerReset: nil)
    }

    private func updateBlocking(_ requestID: String) {
        if readGate.set(requestID, blocking: pairs[requestID]?.link?.isBlocking == true) { context?.read() }
    }

    private func write(_ frame: SPDYFrame, flush: Bool) {
        guard let context, !closing else { return }
        if flush {
            context.writeAndFlush(wrapOutboundOut(frame), promise: nil)
        } else {
            context.write(wrapOutboundOut(frame), promise: nil)
        }
    }

    /// The session is over (EOF, GOAWAY, chaos): drop every pod connection.
    func endAll() {
        closing = true
        let all = pairs
        pairs = [:]
        streams = [:]
        readGate.removeAll()
        for pair in all.values {
            pair.timeout?.cancel()
            if let link = pair.link {
                link.close()
                registry.streamClosed(on: context?.channel)
            }
        }
    }
}
