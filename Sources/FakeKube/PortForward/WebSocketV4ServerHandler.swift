import Logging
import NIOCore
import NIOWebSocket

// The kubelet's WebSocket `v4.channel.k8s.io` port-forward (docs/port-forward.md, "WebSocket v4 channels"): every
// message is
// `[channel][payload]`; port i uses data channel 2i and error channel 2i+1. The 3-byte port prefixes go
// out first on every channel, before any dial. v4 has no per-port close, so a finished port just goes
// quiet, and the WebSocket closes (1000) once every port is finished.

/// Serves one v4 WebSocket for one pod and the ports of its `ports` query.
final class WebSocketV4ServerHandler: PodLinkSession {
    typealias InboundIn = WebSocketFrame
    typealias OutboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    let pod: PortForwardPod
    private let ports: [Int]
    private let registry: PortForwardRegistry
    let logger: Logger
    let failureMessage: Logger.Message = "v4 port-forward failed"
    var context: ChannelHandlerContext?
    private var links: [PodLink?] = []
    private var remaining = 0
    var readGate = SessionReadGate<Int>()
    /// The channel of a fragmented message in progress: only its first frame carries the channel byte.
    private var continuationChannel: UInt8?
    private var closeSent = false

    init(pod: PortForwardPod, ports: [Int], registry: PortForwardRegistry, logger: Logger) {
        self.pod = pod
        self.ports = ports
        self.registry = registry
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        for (index, port) in ports.enumerated() {
            for channel in [UInt8(2 * index), UInt8(2 * index + 1)] {
                var prefix = context.channel.allocator.buffer(capacity: 3)
                prefix.writeInteger(channel)
                prefix.writeInteger(UInt16(port), endianness: .little)
                context.write(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .binary, data: prefix)), promise: nil)
            }
        }
        context.flush()
        remaining = ports.count
        links = ports.indices.map { startPort($0, context: context) }
    }

    // Ending links, read gating and resuming links: PodLinkSession.
    var openLinks: [PodLink] { links.compactMap { $0 } }

    private func startPort(_ index: Int, context: ChannelHandlerContext) -> PodLink {
        registry.streamOpened(on: context.channel)
        let port = ports[index]
        let dataChannel = UInt8(2 * index)
        let link = PodLink(
            events: PodLinkEvents(
                data: { [weak self] buffer in self?.send(channel: dataChannel, buffer, flush: false) },
                flush: { [weak self] in self?.context?.flush() },
                ended: { [weak self] in self?.portFinished(index) },
                dialFailed: { [weak self] text in
                    self?.send(channel: dataChannel + 1, ByteBuffer(string: text), flush: true)
                },
                blockingChanged: { [weak self] in self?.updateBlocking(index) },
                canRead: { [weak self] in self?.context?.channel.isWritable ?? false }
            )
        )
        let pod = self.pod
        link.dial(pod.resolve(port), eventLoop: context.eventLoop) { reason in
            "error forwarding port \(port) to pod \(pod.name), uid \(pod.uid): failed to connect to localhost:\(port) inside namespace \"\(pod.namespace)\": \(reason)"
        }
        return link
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .binary, .continuation:
            var payload = frame.unmaskedData
            let channel: UInt8?
            if frame.opcode == .binary {
                channel = payload.readInteger(as: UInt8.self)
            } else {
                channel = continuationChannel
            }
            continuationChannel = frame.fin ? nil : channel
            // Only data channels carry client bytes; anything else is ignored, as the kubelet does.
            guard let channel, channel % 2 == 0, Int(channel / 2) < links.count, payload.readableBytes > 0,
                let link = links[Int(channel / 2)]
            else { return }
            link.write(payload)
            link.flush()
        case .ping:
            send(WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData))
        case .connectionClose:
            // The client is done with every port: answer the close and hang up.
            sendClose(code: .normalClosure)
        default:
            break
        }
    }

    private func portFinished(_ index: Int) {
        guard index < links.count, let link = links[index] else { return }
        links[index] = nil
        link.close()
        registry.streamClosed(on: context?.channel)
        if readGate.set(index, blocking: false) { context?.read() }
        remaining -= 1
        if remaining == 0 { sendClose(code: .normalClosure) }
    }

    private func updateBlocking(_ index: Int) {
        if readGate.set(index, blocking: index < links.count && links[index]?.isBlocking == true) { context?.read() }
    }

    /// Sends `[channel][payload]` without copying the payload: the channel byte rides as extension data.
    private func send(channel: UInt8, _ payload: ByteBuffer, flush: Bool) {
        guard payload.readableBytes > 0, let context else { return }  // v4 never sends empty messages
        var prefix = context.channel.allocator.buffer(capacity: 1)
        prefix.writeInteger(channel)
        let frame = WebSocketFrame(fin: true, opcode: .binary, data: payload, extensionData: prefix)
        if flush { context.writeAndFlush(wrapOutboundOut(frame), promise: nil) } else { context.write(wrapOutboundOut(frame), promise: nil) }
    }

    private func send(_ frame: WebSocketFrame) {
        guard let context, !closeSent else { return }
        context.writeAndFlush(wrapOutboundOut(frame), promise: nil)
    }

    private func sendClose(code: WebSocketErrorCode) {
        guard let context, !closeSent else { return }
        closeSent = true
        var body = context.channel.allocator.buffer(capacity: 2)
        body.write(webSocketErrorCode: code)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, data: body)))
            .whenComplete { _ in channel.close(promise: nil) }
    }

    func endAll() {
        let open = links.compactMap { $0 }
        links = links.map { _ in nil }
        readGate.removeAll()
        for link in open {
            link.close()
            registry.streamClosed(on: context?.channel)
        }
    }
}
