import Foundation
import HostPortSyntax
import KubeAPI
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOWebSocket

/// The pod port one forwarded connection goes to.
public struct PortForwardTarget: Sendable, Hashable, CustomStringConvertible {
    /// The pod's namespace.
    public var namespace: String
    /// The pod's name.
    public var pod: String
    /// The container port inside the pod (1…65535).
    public var port: Int

    /// Names a pod port.
    public init(namespace: String, pod: String, port: Int) {
        self.namespace = namespace
        self.pod = pod
        self.port = port
    }

    /// `namespace/pod:port`, for logs.
    public var description: String { "\(namespace)/\(pod):\(port)" }
}

/// Opens port-forward streams over WebSocket `v4.channel.k8s.io`: one WebSocket, with a single port, per
/// forwarded TCP connection (docs/port-forward.md, "WebSocket v4 channels"), so a pod closing one connection is
/// visible to the client.
///
/// It needs no REST client: the caller passes the server URL, TLS settings and a header provider (for
/// `Authorization` and impersonation headers), usually taken from KubeClient's kubeconfig handling.
public struct PortForwardDialer: Sendable {
    /// The subprotocol this dialer speaks.
    public static let subprotocol = "v4.channel.k8s.io"

    private let useTLS: Bool
    private let host: String
    private let port: Int
    private let basePath: String
    private let sslContext: NIOSSLContext?
    private let serverName: String?
    private let defaultServerName: String?
    private let headers: @Sendable () async throws -> [(String, String)]
    private let group: any EventLoopGroup
    private let connector: APIServerConnector
    private let handshakeTimeout: TimeAmount
    private let localEOFGrace: TimeAmount
    let logger: Logger

    /// Creates a dialer for one API server.
    /// - Parameters:
    ///   - server: the cluster's `server:` URL, `https://host:port[/path]` or `http://…`.
    ///   - tls: TLS settings for `https` (CA, client certificate, verification); nil means the system defaults.
    ///   - contextCache: where the TLS context for `tls` is shared with other dialers; nil builds a new one.
    ///   - serverName: SNI and certificate name (kubeconfig `tls-server-name`); defaults to the URL host.
    ///   - headers: extra request headers, fetched for every dial (fresh tokens); never logged.
    ///   - proxy: the HTTP CONNECT proxy every stream is tunnelled through (kubeconfig `proxy-url`, else
    ///     `HTTPS_PROXY` as kubectl reads it); nil connects directly.
    ///   - eventLoopGroup: where connections run.
    ///   - connectTimeout: TCP connect limit.
    ///   - handshakeTimeout: limit for the HTTP upgrade plus the port prefixes.
    ///   - localEOFGrace: after the local side half-closes, how long to wait for more pod bytes before
    ///     closing the WebSocket (v4 cannot carry a half-close; see docs/port-forward.md).
    ///   - logger: receives connection-level events, with the target as metadata.
    public init(
        server: String,
        tls: TLSConfiguration? = nil,
        contextCache: TLSContextCache? = nil,
        serverName: String? = nil,
        headers: @escaping @Sendable () async throws -> [(String, String)] = { [] },
        proxy: ProxySettings? = nil,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        connectTimeout: TimeAmount = .seconds(10),
        handshakeTimeout: TimeAmount = .seconds(30),
        localEOFGrace: TimeAmount = .seconds(5),
        logger: Logger
    ) throws(PortForwardError) {
        guard let address = ServerAddress(url: server) else { throw .serverURLInvalid(server) }
        useTLS = address.isSecure
        host = address.host
        port = address.port
        basePath = address.basePath
        defaultServerName = address.defaultServerName
        if useTLS {
            do {
                let configuration = tls ?? .makeClientConfiguration()
                sslContext = try contextCache?.context(for: configuration) ?? NIOSSLContext(configuration: configuration)
            } catch {
                throw .tlsConfigurationInvalid("\(error)")
            }
        } else {
            sslContext = nil
        }
        self.serverName = serverName
        self.headers = headers
        self.group = eventLoopGroup
        connector = APIServerConnector(host: self.host, port: port, proxy: proxy, connectTimeout: connectTimeout)
        self.handshakeTimeout = handshakeTimeout
        self.localEOFGrace = localEOFGrace
        self.logger = logger
    }

    /// Opens a stream to `target` and hands its channel to `configure` on the channel's event loop, before
    /// any pod byte is delivered (so server-first protocols lose nothing).
    ///
    /// The channel carries plain `ByteBuffer`s both ways: what is written goes to the pod, what is read
    /// came from the pod. A kubelet error for the port arrives as `PortForwardError.remoteError` through
    /// `errorCaught`, and the channel then closes. `close(mode: .output)` is a local EOF (see `localEOFGrace`).
    /// - Throws: `PortForwardError` for every failure before the stream is ready, or what `configure` throws.
    public func dial<Output: Sendable>(
        _ target: PortForwardTarget,
        configure: @escaping @Sendable (any Channel) throws -> Output
    ) async throws -> Output {
        let extraHeaders = try await credentialHeaders()
        let loop = group.next()
        let promise = loop.makePromise(of: Output.self)
        let head = requestHead(for: target, extraHeaders: extraHeaders)
        let grace = localEOFGrace
        do {
            let output = try await connectAndUpgrade(head: head, on: loop, promise: promise) {
                NIOWebSocketClientUpgrader(maxFrameSize: 1 << 24, automaticErrorHandling: false) { channel, response in
                    Self.upgraded(channel, response: response, target: target, grace: grace, promise: promise, configure: configure)
                }
            }
            logger.debug("port-forward stream open", metadata: ["target": "\(target)"])
            return output
        } catch {
            logger.debug("port-forward dial failed", metadata: ["target": "\(target)", "error": "\(error)"])
            throw error
        }
    }

    /// The request headers from the caller's provider (fresh credentials for every dial).
    func credentialHeaders() async throws(PortForwardError) -> [(String, String)] {
        do {
            return try await headers()
        } catch {
            throw .credentialsFailed("\(error)")
        }
    }

    /// Connects to the API server (directly or through the proxy, then TLS when the URL is https), sends the
    /// upgrade request `head` with the upgrader `makeUpgrader` builds, and waits for `promise`, which the
    /// upgrader's callback completes. A refusal or a broken handshake fails `promise` with a
    /// `PortForwardError`; so does the handshake timeout. Every dial entry (v4, the SPDY tunnel, the SPDY
    /// upgrade) goes through here.
    func connectAndUpgrade<Output: Sendable>(
        head: HTTPRequestHead,
        on loop: any EventLoop,
        promise: EventLoopPromise<Output>,
        makeUpgrader: @escaping @Sendable () -> any NIOHTTPClientProtocolUpgrader
    ) async throws -> Output {
        let (host, port, sni, sslContext) = (self.host, self.port, serverName ?? defaultServerName, self.sslContext)

        let channel: any Channel
        do {
            channel = try await connector.connect(on: loop) { channel in
                let sync = channel.pipeline.syncOperations
                if let sslContext {
                    try sync.addHandler(NIOSSLClientHandler(context: sslContext, serverHostname: sni))
                }
                try sync.addHTTPClientHandlers(
                    leftOverBytesStrategy: .forwardBytes,
                    withClientUpgrade: (upgraders: [makeUpgrader()], completionHandler: { _ in })
                )
                try sync.addHandler(
                    UpgradeHandshakeHandler(request: head, host: host, port: port) { promise.fail($0) },
                    name: Self.handshakeHandlerName
                )
            }
        } catch {
            promise.fail(error)
            throw error
        }
        let timeout = loop.scheduleTask(in: handshakeTimeout) {
            promise.fail(PortForwardError.handshakeIncomplete("no answer within the handshake timeout"))
        }
        promise.futureResult.whenComplete { result in
            timeout.cancel()
            if case .failure = result { channel.close(promise: nil) }
        }
        return try await promise.futureResult.get()
    }

    /// Opens a stream to `target` as an `NIOAsyncChannel` of pod bytes. Finishing its outbound writer is a
    /// local EOF; a kubelet error is thrown from its inbound sequence as `PortForwardError.remoteError`.
    public func dial(_ target: PortForwardTarget) async throws -> NIOAsyncChannel<ByteBuffer, ByteBuffer> {
        try await dial(target) { channel in
            try NIOAsyncChannel<ByteBuffer, ByteBuffer>(
                wrappingChannelSynchronously: channel,
                configuration: .init(isOutboundHalfClosureEnabled: true)
            )
        }
    }

    static let handshakeHandlerName = "berth.portforward.handshake"

    private func requestHead(for target: PortForwardTarget, extraHeaders: [(String, String)]) -> HTTPRequestHead {
        requestHead(
            method: .GET, namespace: target.namespace, pod: target.pod, query: "?ports=\(target.port)",
            protocolHeaders: [("Sec-WebSocket-Protocol", Self.subprotocol)], extraHeaders: extraHeaders
        )
    }

    /// The upgrade request for a pod's `portforward` subresource.
    func requestHead(
        method: HTTPMethod,
        namespace: String,
        pod: String,
        query: String,
        protocolHeaders: [(String, String)],
        extraHeaders: [(String, String)]
    ) -> HTTPRequestHead {
        let allowed = CharacterSet.urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))
        let namespace = namespace.addingPercentEncoding(withAllowedCharacters: allowed) ?? namespace
        let pod = pod.addingPercentEncoding(withAllowedCharacters: allowed) ?? pod
        let uri = "\(basePath)/api/v1/namespaces/\(namespace)/pods/\(pod)/portforward\(query)"
        let defaultPort = useTLS ? 443 : 80
        var headers = HTTPHeaders([("Host", HostPort.format(host: host, port: port == defaultPort ? nil : port))])
        headers.add(contentsOf: protocolHeaders)
        headers.add(name: "User-Agent", value: "berth")
        headers.add(contentsOf: extraHeaders)
        return HTTPRequestHead(version: .http1_1, method: method, uri: uri, headers: headers)
    }

    /// Runs on the event loop once the server switched protocols: check the subprotocol, then wait for
    /// the port prefixes before handing the channel out.
    private static func upgraded<Output: Sendable>(
        _ channel: any Channel,
        response: HTTPResponseHead,
        target: PortForwardTarget,
        grace: TimeAmount,
        promise: EventLoopPromise<Output>,
        configure: @escaping @Sendable (any Channel) throws -> Output
    ) -> EventLoopFuture<Void> {
        let negotiated = response.headers.first(name: "sec-websocket-protocol")
        guard negotiated == subprotocol else {
            let error = PortForwardError.protocolNotNegotiated(got: negotiated)
            promise.fail(error)
            return channel.eventLoop.makeFailedFuture(error)
        }
        return channel.eventLoop.makeCompletedFuture {
            let sync = channel.pipeline.syncOperations
            sync.removeHandler(name: handshakeHandlerName, promise: nil)
            let handler = WebSocketV4ClientHandler(pod: target.pod, port: target.port, localEOFGrace: grace) { result in
                switch result {
                case .success:
                    do {
                        promise.succeed(try configure(channel))
                    } catch {
                        promise.fail(error)
                    }
                case .failure(let error):
                    promise.fail(error)
                }
            }
            try sync.addHandler(handler)
        }
    }
}
