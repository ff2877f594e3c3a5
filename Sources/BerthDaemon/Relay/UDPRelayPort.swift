#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import BerthMetrics
import BerthRelay
import Logging
import Metrics
import NIOCore
import NIOPosix
import Synchronization

/// One local UDP port of a forward through the relay (docs/relay.md, "UDP"): each local sender gets a stream of
/// its own to the relay's listen port, which carries its datagrams framed (a 2-byte length, then the bytes); what
/// the relay frames back is sent to that sender alone, so several senders are told apart.
///
/// UDP may lose datagrams, and so does this port, rather than hold them without bound: while no endpoint is
/// known, past `queueLimit` datagrams waiting for a sender's stream, and when a stream cannot take more.
///
/// Metrics (docs/metrics.md): a new sender is a connection, its stream open is an open connection, and the
/// datagrams' payloads sent to the relay and sent back are the bytes `in` and `out`.
final class UDPRelayPort: Sendable {
    /// The bound local port.
    let port: Int
    /// The bound local address.
    let localAddress: SocketAddress

    private let datagrams: any Channel
    private let connector: any UpstreamConnector
    private let logger: Logger
    private let idleTimeout: TimeAmount
    private let metrics: ForwardMetrics?
    private let state = Mutex(State())

    /// Datagrams that wait for a sender's stream to open, at most.
    static let queueLimit = 64

    private struct State {
        var endpoint: UpstreamEndpoint?
        var senders: [SocketAddress: Sender] = [:]
        var nextID = 0
        var stopped = false
        var dropped = 0
    }

    private enum Sender {
        case connecting(id: Int, queued: [ByteBuffer])
        case open(id: Int, channel: any Channel)

        var id: Int {
            switch self {
            case .connecting(let id, _), .open(let id, _): id
            }
        }
    }

    private init(
        datagrams: any Channel, connector: any UpstreamConnector, idleTimeout: TimeAmount, metrics: ForwardMetrics?, logger: Logger
    ) throws {
        self.datagrams = datagrams
        self.connector = connector
        self.idleTimeout = idleTimeout
        self.metrics = metrics
        self.logger = logger
        guard let address = datagrams.localAddress, let port = address.port else {
            throw BerthDaemonError.bindFailed(address: "\(datagrams.localAddress.map { "\($0)" } ?? "?")", port: 0, reason: "no local address")
        }
        self.localAddress = address
        self.port = port
    }

    /// Binds `host:port` (0: any free port) for UDP.
    /// - Parameter idleTimeout: a sender's stream closes after this long without a datagram either way (a DNS
    ///   client uses a new source port per query: its streams must not pile up).
    /// - Parameter metrics: the forward's series, which its UDP senders count in (none when nil).
    static func bind(
        host: String, port: Int, connector: any UpstreamConnector, eventLoop: any EventLoop, idleTimeout: TimeAmount = .seconds(30),
        metrics: ForwardMetrics? = nil, logger: Logger
    ) async throws -> UDPRelayPort {
        let box = Mutex<UDPRelayPort?>(nil)
        let channel: any Channel
        do {
            channel = try await DatagramBootstrap(group: eventLoop)
                .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: UDPFrame.maxPayload))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(DatagramReceiver { sender, payload in
                            box.withLock { $0 }?.received(payload, from: sender)
                        })
                    }
                }
                .bind(host: host, port: port).get()
        } catch let error as IOError {
            throw Self.bindError(error, host: host, port: port)
        }
        let relayPort = try UDPRelayPort(
            datagrams: channel, connector: connector, idleTimeout: idleTimeout, metrics: metrics, logger: logger)
        box.withLock { $0 = relayPort }
        return relayPort
    }

    private static func bindError(_ error: IOError, host: String, port: Int) -> BerthDaemonError {
        switch error.errnoCode {
        case EADDRINUSE: .portInUse(address: host, port: port)
        case EACCES: .bindPermissionDenied(address: host, port: port)
        case EADDRNOTAVAIL: .addressUnavailable(address: host, port: port)
        default: .bindFailed(address: host, port: port, reason: "\(error)")
        }
    }

    /// New senders' streams go to `endpoint`; a change closes the streams to the old one.
    func setEndpoint(_ endpoint: UpstreamEndpoint) {
        let closing = state.withLock { state -> [any Channel] in
            guard state.endpoint != endpoint else { return [] }
            state.endpoint = endpoint
            return Self.takeOpenChannels(&state)
        }
        for channel in closing { channel.close(promise: nil) }
    }

    /// No endpoint: datagrams are dropped until there is one again, and every sender's stream closes.
    func clearEndpoint() {
        let closing = state.withLock { state -> [any Channel] in
            state.endpoint = nil
            return Self.takeOpenChannels(&state)
        }
        for channel in closing { channel.close(promise: nil) }
    }

    /// Closes the port and every sender's stream.
    func stop() async {
        let closing = state.withLock { state -> [any Channel] in
            state.stopped = true
            state.endpoint = nil
            return Self.takeOpenChannels(&state)
        }
        for channel in closing { channel.close(promise: nil) }
        try? await datagrams.close()
    }

    /// Datagrams dropped so far (no endpoint, a full queue, a stream that could not take more).
    var droppedDatagrams: Int { state.withLock { $0.dropped } }

    /// Senders with a stream open or opening.
    var senderCount: Int { state.withLock { $0.senders.count } }

    private static func takeOpenChannels(_ state: inout State) -> [any Channel] {
        let channels = state.senders.values.compactMap { sender -> (any Channel)? in
            if case .open(_, let channel) = sender { return channel }
            return nil
        }
        state.senders = [:]
        return channels
    }

    // MARK: - Datagrams

    private enum Action {
        case none
        case write(any Channel)
        case connect(UpstreamEndpoint, id: Int)
    }

    /// A local datagram from `sender`: on its stream, queued while that opens, or the stream is opened.
    private func received(_ payload: ByteBuffer, from sender: SocketAddress) {
        let action = state.withLock { state -> Action in
            guard !state.stopped, let endpoint = state.endpoint else {
                state.dropped += 1
                return .none
            }
            switch state.senders[sender] {
            case .open(_, let channel)?:
                return .write(channel)
            case .connecting(let id, var queued)?:
                guard queued.count < Self.queueLimit else {
                    state.dropped += 1
                    return .none
                }
                queued.append(payload)
                state.senders[sender] = .connecting(id: id, queued: queued)
                return .none
            case nil:
                state.nextID += 1
                state.senders[sender] = .connecting(id: state.nextID, queued: [payload])
                return .connect(endpoint, id: state.nextID)
            }
        }
        switch action {
        case .none: break
        case .write(let channel): send(payload, on: channel)
        case .connect(let endpoint, let id):
            metrics?.connections.increment()
            Task { await self.open(for: sender, to: endpoint, id: id) }
        }
    }

    private func send(_ payload: ByteBuffer, on channel: any Channel) {
        guard channel.isWritable, let frame = try? UDPFrame.frame(payload, allocator: channel.allocator) else {
            state.withLock { $0.dropped += 1 }
            return
        }
        channel.writeAndFlush(frame, promise: nil)
        metrics?.bytesIn.increment(by: Int64(payload.readableBytes))
    }

    /// Opens `sender`'s stream to the relay, then sends what waited for it.
    private func open(for sender: SocketAddress, to endpoint: UpstreamEndpoint, id: Int) async {
        let stream: UpstreamStream
        let started = ContinuousClock.now
        do {
            stream = try await connector.connect(to: endpoint, on: datagrams.eventLoop)
            metrics?.upstreamOpen.record(duration: ContinuousClock.now - started)
            try await stream.channel.eventLoop.submit { [datagrams, idleTimeout, metrics] in
                let pipeline = stream.channel.pipeline.syncOperations
                try pipeline.addHandler(IdleStateHandler(allTimeout: idleTimeout))
                try pipeline.addHandler(ByteToMessageHandler(UDPFrameDecoder()))
                try pipeline.addHandler(ReplySender(datagrams: datagrams, sender: sender, bytesOut: metrics?.bytesOut))
                _ = stream.channel.standbyHandler?.handOff()
                try stream.channel.syncOptions?.setOption(.autoRead, value: true)
            }.get()
        } catch {
            let lost = state.withLock { state -> Int in
                guard case .connecting(id, let queued)? = state.senders[sender] else { return 0 }
                state.senders[sender] = nil
                state.dropped += queued.count
                return queued.count
            }
            logger.debug("UDP stream to the relay failed", metadata: ["sender": "\(sender)", "dropped": "\(lost)", "error": "\(error)"])
            return
        }
        let queued = state.withLock { state -> [ByteBuffer]? in
            guard case .connecting(id, let queued)? = state.senders[sender], state.endpoint == endpoint, !state.stopped else { return nil }
            state.senders[sender] = .open(id: id, channel: stream.channel)
            return queued
        }
        guard let queued else {
            // The endpoint changed or the port stopped while the stream opened.
            try? await stream.channel.close()
            return
        }
        for payload in queued { send(payload, on: stream.channel) }
        metrics?.openConnections.increment()
        stream.channel.closeFuture.whenComplete { _ in
            self.metrics?.openConnections.decrement()
            self.state.withLock { state in
                if case .open(id, _)? = state.senders[sender] { state.senders[sender] = nil }
            }
        }
    }
}

/// Hands each datagram of the local socket to the port.
private final class DatagramReceiver: ChannelInboundHandler, Sendable {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>

    private let deliver: @Sendable (SocketAddress, ByteBuffer) -> Void

    init(deliver: @escaping @Sendable (SocketAddress, ByteBuffer) -> Void) {
        self.deliver = deliver
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        deliver(envelope.remoteAddress, envelope.data)
    }

    /// A send that failed (ICMP unreachable for a sender that left) must not close the port for the others.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {}
}

/// Sends each payload the relay framed back to the one local sender of this stream; closes the stream when it
/// has been idle.
private final class ReplySender: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer

    private let datagrams: any Channel
    private let sender: SocketAddress
    private let bytesOut: Counter?

    init(datagrams: any Channel, sender: SocketAddress, bytesOut: Counter?) {
        self.datagrams = datagrams
        self.sender = sender
        self.bytesOut = bytesOut
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let payload = unwrapInboundIn(data)
        bytesOut?.increment(by: Int64(payload.readableBytes))
        datagrams.writeAndFlush(AddressedEnvelope(remoteAddress: sender, data: payload), promise: nil)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // Idle, or the relay finished its side: the association is over.
        if event is IdleStateHandler.IdleStateEvent || (event as? ChannelEvent) == .inputClosed {
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
