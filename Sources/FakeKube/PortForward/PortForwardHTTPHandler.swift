import Crypto
import Foundation
import Logging
import NIOCore
import SPDY
import NIOHTTP1
import NIOWebSocket

// Sits between the HTTP/1.1 codec and the API handler. Port-forward upgrade requests stop here: admission,
// then §5.4 dispatch, then the 101 and a pipeline swap to the chosen protocol. Everything else passes
// through untouched. The upgrade is done by hand (not NIO's upgrade handler) because admission may answer
// with any Status and the 101 must carry headers only the dispatch knows.

/// Intercepts `…/pods/NAME/portforward` upgrade requests; see `configureFakeKubeHTTP`.
final class PortForwardHTTPHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    /// The HTTP handlers to take out on upgrade, in pipeline order.
    struct HTTPHandlers {
        var encoder: HTTPResponseEncoder
        var decoder: ByteToMessageHandler<HTTPRequestDecoder>
        var pipelining: HTTPRequestSequencer
        var errors: HTTPServerProtocolErrorHandler
        var api: any ChannelHandler & RemovableChannelHandler
    }

    private enum State {
        case idle
        case passthrough
        case awaitingEnd(PortForwardPod, PortForwardUpgradePlan)
        case rejecting(HTTPResponseStatus, body: String, extraHeaders: [(String, String)], keepAlive: Bool)
        case upgraded
    }

    private let registry: PortForwardRegistry
    private let admit: PortForwardAdmit
    private let logger: Logger
    private let handlers: HTTPHandlers
    private var state: State = .idle

    init(registry: PortForwardRegistry, admit: @escaping PortForwardAdmit, logger: Logger, handlers: HTTPHandlers) {
        self.registry = registry
        self.admit = admit
        self.logger = logger
        self.handlers = handlers
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .upgraded = state {
            // Bytes the HTTP decoder read past the request belong to the new protocol.
            context.fireChannelRead(data)
            return
        }
        let part = unwrapInboundIn(data)
        switch (state, part) {
        case (.idle, .head(let head)):
            guard PortForwardDispatch.isPortForwardPath(head.uri), PortForwardDispatch.asksForUpgrade(head) else {
                state = .passthrough
                context.fireChannelRead(data)
                return
            }
            state = decide(head, channel: context.channel)
        case (.passthrough, .end):
            state = .idle
            context.fireChannelRead(data)
        case (.passthrough, _):
            context.fireChannelRead(data)
        case (.awaitingEnd(let pod, let plan), .end):
            upgrade(context: context, pod: pod, plan: plan)
        case (.rejecting(let status, let body, let extraHeaders, let keepAlive), .end):
            state = .idle
            reject(context: context, status: status, body: body, extraHeaders: extraHeaders, keepAlive: keepAlive)
        default:
            break  // request bodies of upgrade requests are ignored
        }
    }

    private func decide(_ head: HTTPRequestHead, channel: any Channel) -> State {
        // After an upgrade request the HTTP decoder parses nothing more, so a refusal ends the connection.
        if registry.chaos.refuseWebSockets, PortForwardDispatch.asksForWebSocket(head) {
            // A proxy in front of the API server answers before authentication or the pod lookup.
            let message = "the proxy between this client and the API server cannot carry WebSocket upgrades"
            return .rejecting(.badRequest, body: Self.statusJSON(.badRequest, message), extraHeaders: [], keepAlive: false)
        }
        switch admit(head, channel) {
        case .reject(let status, let statusJSON):
            return .rejecting(status, body: statusJSON, extraHeaders: [], keepAlive: false)
        case .accept(let pod):
            switch PortForwardDispatch.decide(head) {
            case .upgrade(let plan):
                return .awaitingEnd(pod, plan)
            case .reject(let status, let message, let extraHeaders):
                return .rejecting(status, body: Self.statusJSON(status, message), extraHeaders: extraHeaders, keepAlive: false)
            case .notPortForwardUpgrade:
                return .rejecting(.badRequest, body: Self.statusJSON(.badRequest, "Upgrade request required"), extraHeaders: [], keepAlive: false)
            }
        }
    }

    private func reject(
        context: ChannelHandlerContext,
        status: HTTPResponseStatus,
        body: String,
        extraHeaders: [(String, String)],
        keepAlive: Bool
    ) {
        var headers = HTTPHeaders([("Content-Type", "application/json"), ("Content-Length", "\(body.utf8.count)")])
        headers.add(contentsOf: extraHeaders)
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: body)))), promise: nil)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in
            if !keepAlive { channel.close(promise: nil) }
        }
    }

    private func upgrade(context: ChannelHandlerContext, pod: PortForwardPod, plan: PortForwardUpgradePlan) {
        state = .upgraded
        var headers = HTTPHeaders([("Connection", "Upgrade")])
        switch plan {
        case .spdy:
            headers.add(name: "Upgrade", value: "SPDY/3.1")
            headers.add(name: "X-Stream-Protocol-Version", value: PortForwardDispatch.portForwardProtocol)
        case .spdyOverWebSocket(let key):
            headers.add(name: "Upgrade", value: "websocket")
            headers.add(name: "Sec-WebSocket-Accept", value: Self.webSocketAccept(key))
            headers.add(name: "Sec-WebSocket-Protocol", value: PortForwardDispatch.tunnelProtocol)
        case .webSocketV4(let key, let subprotocol, _):
            headers.add(name: "Upgrade", value: "websocket")
            headers.add(name: "Sec-WebSocket-Accept", value: Self.webSocketAccept(key))
            if let subprotocol { headers.add(name: "Sec-WebSocket-Protocol", value: subprotocol) }
        }
        context.writeAndFlush(
            wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .switchingProtocols, headers: headers))),
            promise: nil
        )

        let pipeline = context.pipeline.syncOperations
        do {
            for handler in [handlers.pipelining, handlers.errors, handlers.encoder] as [any RemovableChannelHandler] {
                pipeline.removeHandler(handler, promise: nil)
            }
            pipeline.removeHandler(handlers.api, promise: nil)
            // Inserted one by one after the previous, so they keep their order ahead of the decoder's leftovers.
            var anchor: any ChannelHandler = self
            for handler in try protocolHandlers(for: plan, pod: pod) {
                try pipeline.addHandler(handler, position: .after(anchor))
                anchor = handler
            }
        } catch {
            logger.error("port-forward upgrade failed", metadata: ["pod": "\(pod.name)", "error": "\(error)"])
            context.close(promise: nil)
            return
        }
        do {
            // Watches the raw connection, so the idle cut (chaos) sees every byte of the session.
            try pipeline.addHandler(IdleCutHandler(chaos: registry.chaos), position: .first)
        } catch {
            context.close(promise: nil)
            return
        }
        registry.register(podUID: pod.uid, channel: context.channel)
        logger.debug("port-forward upgraded", metadata: ["pod": "\(pod.namespace)/\(pod.name)", "protocol": "\(plan)"])
        // Removing the decoder forwards any bytes it already holds through us to the new handlers.
        pipeline.removeHandler(handlers.decoder).assumeIsolated().whenComplete { _ in
            pipeline.removeHandler(context: context, promise: nil)
        }
    }

    private func protocolHandlers(for plan: PortForwardUpgradePlan, pod: PortForwardPod) throws -> [any ChannelHandler] {
        switch plan {
        case .spdy:
            return [
                ByteToMessageHandler(try SPDYFrameDecoder()), try SPDYFrameEncoder(),
                SPDYSessionHandler(pod: pod, registry: registry, logger: logger),
            ]
        case .spdyOverWebSocket:
            return [
                ByteToMessageHandler(WebSocketFrameDecoder(maxFrameSize: Self.maxWebSocketFrame)), WebSocketFrameEncoder(),
                WebSocketByteStreamHandler(),
                ByteToMessageHandler(try SPDYFrameDecoder()), try SPDYFrameEncoder(),
                SPDYSessionHandler(pod: pod, registry: registry, logger: logger),
            ]
        case .webSocketV4(_, _, let ports):
            return [
                ByteToMessageHandler(WebSocketFrameDecoder(maxFrameSize: Self.maxWebSocketFrame)), WebSocketFrameEncoder(),
                WebSocketV4ServerHandler(pod: pod, ports: ports, registry: registry, logger: logger),
            ]
        }
    }

    /// Clients send whole writes as one message; this bounds what one frame may buffer.
    static let maxWebSocketFrame = 1 << 24

    static func webSocketAccept(_ key: String) -> String {
        let digest = Insecure.SHA1.hash(data: Data((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").utf8))
        return Data(digest).base64EncodedString()
    }

    /// A `Status` body shaped like the apiserver's (docs/informers.md, "Errors: the Status object").
    static func statusJSON(_ status: HTTPResponseStatus, _ message: String) -> String {
        let reason =
            switch status.code {
            case 400: "BadRequest"
            case 403: "Forbidden"
            case 404: "NotFound"
            default: "InternalError"
            }
        let escaped = String(data: (try? JSONEncoder().encode(message)) ?? Data("\"\"".utf8), encoding: .utf8) ?? "\"\""
        return #"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":\#(escaped),"reason":"\#(reason)","code":\#(status.code)}"#
    }
}
