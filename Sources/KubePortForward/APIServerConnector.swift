import Foundation
import HostPortSyntax
import KubeAPI
import NIOCore
import NIOExtras
import NIOHTTP1
import NIOPosix
import Synchronization

/// Opens the TCP connection a port-forward stream starts from: straight to the API server, or through the
/// HTTP CONNECT proxy of the kubeconfig's `proxy-url` (or `HTTPS_PROXY`, as kubectl reads it; see
/// docs/kubeconfig.md). Every entry of the dialer goes through here, so none of them bypasses the proxy.
struct APIServerConnector: Sendable {
    /// The API server.
    let host: String
    let port: Int
    /// The proxy to tunnel through, if any.
    let proxy: ProxySettings?
    /// Limit for the TCP connect, and separately for the proxy's answer to CONNECT.
    let connectTimeout: TimeAmount

    /// Connects on `loop` and runs `install` on the event loop with a channel whose bytes reach the API server:
    /// directly in the channel initializer, or once the proxy has opened the tunnel (then the channel is
    /// already active when `install` adds its handlers).
    /// - Throws: `PortForwardError.unreachable` when the server or the proxy cannot be reached, and
    ///   `PortForwardError.connectFailed` when the proxy refuses the tunnel; either names the proxy when the proxy
    ///   was the step that failed.
    func connect(
        on loop: any EventLoop, install: @escaping @Sendable (any Channel) throws -> Void
    ) async throws(PortForwardError) -> any Channel {
        guard let proxy else {
            do {
                return try await Self.connect(bootstrap(on: loop, initializer: install), host: host, port: port)
            } catch {
                throw .unreachable(host: host, port: port, reason: "\(error)")
            }
        }
        let proxyName = "the HTTP proxy \(HostPort.format(host: proxy.host, port: proxy.port))"
        let tunnel = loop.makePromise(of: Void.self)
        let answer = ProxyAnswer()
        let connectHandler = tunnelHeaders(proxy)
        let (host, port, deadline) = (HostPort.format(host: host, port: nil), port, NIODeadline.now() + connectTimeout)
        let channel: any Channel
        do {
            channel = try await Self.connect(
                bootstrap(on: loop) { channel in
                    let sync = channel.pipeline.syncOperations
                    try sync.addHandler(HTTPRequestEncoder(), name: Self.encoderName)
                    try sync.addHandler(
                        ByteToMessageHandler(HTTPResponseDecoder(leftOverBytesStrategy: .forwardBytes)), name: Self.decoderName)
                    try sync.addHandler(answer, name: Self.answerName)
                    try sync.addHandler(
                        NIOHTTP1ProxyConnectHandler(
                            targetHost: host, targetPort: port, headers: connectHandler, deadline: deadline, promise: tunnel))
                },
                host: proxy.host, port: proxy.port)
        } catch {
            tunnel.fail(error)
            throw .unreachable(host: self.host, port: self.port, reason: "cannot reach \(proxyName): \(error)")
        }
        do {
            try await tunnel.futureResult.get()
            // The decoder leaves the pipeline one loop tick after it is asked to: install only once all three are gone.
            try await loop.flatSubmit {
                let sync = channel.pipeline.syncOperations
                let removals = [Self.answerName, Self.decoderName, Self.encoderName].map { name in
                    let removed = loop.makePromise(of: Void.self)
                    sync.removeHandler(name: name, promise: removed)
                    return removed.futureResult
                }
                return EventLoopFuture.andAllSucceed(removals, on: loop).flatMapThrowing { try install(channel) }
            }.get()
            return channel
        } catch {
            channel.close(promise: nil)
            throw .connectFailed(host: self.host, port: self.port, reason: "\(proxyName) did not open a tunnel: \(Self.describe(error, status: answer.status))")
        }
    }

    static let encoderName = "berth.proxy.encoder"
    static let decoderName = "berth.proxy.decoder"
    static let answerName = "berth.proxy.answer"

    private func bootstrap(on loop: any EventLoop, initializer: @escaping @Sendable (any Channel) throws -> Void) -> ClientBootstrap {
        ClientBootstrap(group: loop)
            .connectTimeout(connectTimeout)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try initializer(channel) }
            }
    }

    private static func connect(_ bootstrap: ClientBootstrap, host: String, port: Int) async throws -> any Channel {
        // An IP literal (kind, minikube, most kubeconfigs of local clusters) needs no resolver: going
        // through getaddrinfo cost a thread hop and 6 % of the CPU of every dial.
        if let address = try? SocketAddress(ipAddress: host, port: port) {
            return try await bootstrap.connect(to: address).get()
        }
        return try await bootstrap.connect(host: host, port: port).get()
    }

    /// `Host` is required on CONNECT; credentials from the proxy URL go as basic `Proxy-Authorization`.
    private func tunnelHeaders(_ proxy: ProxySettings) -> HTTPHeaders {
        var headers = HTTPHeaders([("Host", HostPort.format(host: host, port: port)), ("User-Agent", "berth")])
        if let username = proxy.username {
            let credentials = Data("\(username):\(proxy.password ?? "")".utf8).base64EncodedString()
            headers.add(name: "Proxy-Authorization", value: "Basic \(credentials)")
        }
        return headers
    }

    /// The proxy's refusal in words: its status line rather than the handler's source location.
    private static func describe(_ error: any Error, status: HTTPResponseStatus?) -> String {
        guard let error = error as? NIOHTTP1ProxyConnectHandler.Error else { return "\(error)" }
        if error == .proxyAuthenticationRequired() {
            return "407 Proxy Authentication Required (check the user and password of the proxy URL)"
        }
        if error == .httpProxyHandshakeTimeout() { return "no answer to CONNECT in time" }
        if let status, !(200..<300).contains(status.code) { return "it answered \(status.code) \(status.reasonPhrase)" }
        if error == .remoteConnectionClosed() { return "it closed the connection" }
        return "\(error)".components(separatedBy: " (").first ?? "\(error)"
    }
}

/// Keeps the status of the proxy's answer to CONNECT, for the error message; passes everything on.
private final class ProxyAnswer: ChannelInboundHandler, RemovableChannelHandler, Sendable {
    typealias InboundIn = HTTPClientResponsePart
    typealias InboundOut = HTTPClientResponsePart

    private let recorded = Mutex<HTTPResponseStatus?>(nil)

    var status: HTTPResponseStatus? { recorded.withLock { $0 } }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head(let head) = unwrapInboundIn(data) { recorded.withLock { $0 = head.status } }
        context.fireChannelRead(data)
    }
}
