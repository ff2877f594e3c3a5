import NIOCore
import NIOHTTP1
import NIOWebSocket
import SPDY

// The two SPDY entries (docs/port-forward.md, "berth's SPDY client"): the WebSocket tunnel kubectl 1.31+
// uses, and the classic POST upgrade every API server accepts. Both share the v4 dial's connect path
// (TCP, TLS, credentials) and end in the same session handler.

extension PortForwardDialer {
    /// The WebSocket subprotocol of the SPDY tunnel.
    public static let tunnelSubprotocol = "SPDY/3.1+portforward.k8s.io"

    /// Dials the API server (same TLS and credential handling as `dial`) and opens a SPDY session to `pod`
    /// over `transport` (`.websocketSPDY` or `.spdy`), on `eventLoop`.
    ///
    /// - Parameter maxStreams: forwarded connections the session carries at once; past it `openStream`
    ///   fails with `.sessionFull`.
    /// - Throws: `PortForwardError`. A non-101 answer is `.upgradeRejected(code:status:message:)`; a 101 with
    ///   the wrong subprotocol or upgrade headers is `.protocolNotNegotiated(got:)`. Both mean "try the next
    ///   transport" except 401, 403 and 404, which are real refusals (docs/port-forward.md). `.websocket` has
    ///   no sessions and is refused with `.protocolNotNegotiated`.
    public func openSession(
        to pod: PortForwardPod,
        transport: PortForwardTransport,
        on eventLoop: any EventLoop,
        maxStreams: Int
    ) async throws -> PortForwardSession {
        let method: HTTPMethod
        let protocolHeaders: [(String, String)]
        switch transport {
        case .websocketSPDY:
            method = .GET
            protocolHeaders = [("Sec-WebSocket-Protocol", Self.tunnelSubprotocol)]
        case .spdy:
            // kubectl sends an empty body; without Content-Length NIO would announce a chunked one.
            method = .POST
            protocolHeaders = [("Content-Length", "0")]
        case .websocket:
            throw PortForwardError.protocolNotNegotiated(got: "v4.channel.k8s.io carries one connection per WebSocket; use dial")
        }
        let head = requestHead(
            method: method, namespace: pod.namespace, pod: pod.pod, query: "",
            protocolHeaders: protocolHeaders, extraHeaders: try await credentialHeaders()
        )
        let promise = eventLoop.makePromise(of: PortForwardSession.self)
        let install: @Sendable (any Channel, Bool) -> EventLoopFuture<Void> = { channel, tunnelled in
            Self.installSession(on: channel, tunnelled: tunnelled, pod: pod, transport: transport, maxStreams: maxStreams, promise: promise)
        }
        let session = try await connectAndUpgrade(head: head, on: eventLoop, promise: promise) {
            switch transport {
            case .spdy:
                return SPDYClientUpgrader { context, _ in install(context.channel, false) }
            default:
                return WebSocketTunnelUpgrader { context, response in
                    let negotiated = response.headers.first(name: "sec-websocket-protocol")
                    guard negotiated == Self.tunnelSubprotocol else {
                        let error = PortForwardError.protocolNotNegotiated(got: negotiated)
                        promise.fail(error)
                        return context.eventLoop.makeFailedFuture(error)
                    }
                    return install(context.channel, true)
                }
            }
        }
        logger.debug("port-forward session open", metadata: ["pod": "\(pod)", "transport": "\(transport.rawValue)"])
        return session
    }

    /// Runs on the event loop once the server switched protocols: the SPDY codec and session handler take
    /// over the connection (behind the tunnel's message adapter when `tunnelled`).
    private static func installSession(
        on channel: any Channel,
        tunnelled: Bool,
        pod: PortForwardPod,
        transport: PortForwardTransport,
        maxStreams: Int,
        promise: EventLoopPromise<PortForwardSession>
    ) -> EventLoopFuture<Void> {
        channel.eventLoop.makeCompletedFuture {
            let sync = channel.pipeline.syncOperations
            sync.removeHandler(name: handshakeHandlerName, promise: nil)
            if tunnelled { try sync.addHandler(WebSocketTunnelHandler()) }
            let gauge = SPDYSessionGauge()
            let handler = SPDYClientSessionHandler(pod: pod, maxStreams: maxStreams, gauge: gauge)
            // zlib's fastest level: a stream's SYN_STREAMs are a few dozen bytes, and at level 9 (kubectl's) their
            // compression was 6 % of berth's CPU per new connection. DATA payloads pass on as they arrive, uncopied.
            try sync.addHandlers([ByteToMessageHandler(SPDYFrameDecoder(streamsData: true)), SPDYFrameEncoder(compressionLevel: 1), handler])
            promise.succeed(PortForwardSession(channel: channel, handler: handler, gauge: gauge, transport: transport, target: pod))
        }.flatMapErrorThrowing { error in
            promise.fail(error)
            throw error
        }
    }
}
