import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// A small HTTPS server on 127.0.0.1 that plays the API server for REST tests: it records every request
/// (headers and the client certificate) and answers through a route closure.
final class TestAPIServer: Sendable {
    struct Request: Sendable {
        var method: HTTPMethod
        var uri: String
        var headers: HTTPHeaders
        /// DER of the client certificate presented in the TLS handshake, if any.
        var clientCertificateDER: [UInt8]?

        var path: String { String(uri.split(separator: "?", maxSplits: 1).first ?? "") }
        var query: [String: String] {
            guard let components = URLComponents(string: uri) else { return [:] }
            var result: [String: String] = [:]
            for item in components.queryItems ?? [] { result[item.name] = item.value ?? "" }
            return result
        }
        var authorization: String? { headers.first(name: "Authorization") }
    }

    enum Response: Sendable {
        /// A whole answer with `Content-Length`.
        case full(HTTPResponseStatus, headers: [(String, String)] = [], body: String)
        /// A chunked answer, one HTTP chunk per piece; `abort` closes the connection instead of ending the body.
        case chunked([String], abort: Bool = false)
    }

    typealias Route = @Sendable (Request) -> Response

    /// Requests seen so far, shared with the per-connection handlers.
    final class RequestLog: Sendable {
        let entries = Mutex<[Request]>([])
    }

    let port: Int
    private let channel: any Channel
    private let log: RequestLog

    var requests: [Request] { log.entries.withLock { $0 } }

    init(pki: TestPKI = .shared, identity: TestPKI.Identity? = nil, route: @escaping Route) async throws {
        let identity = identity ?? pki.server
        var tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMBytes(Array(identity.certificatePEM.utf8)).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(identity.keyPEM.utf8), format: .pem)))
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(pki.caPEM.utf8)))
        tls.certificateVerification = .optionalVerification
        tls.applicationProtocols = ["http/1.1"]
        let context = try NIOSSLContext(configuration: tls)
        let recorded = RequestLog()
        log = recorded
        channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    let ssl = NIOSSLServerHandler(context: context)
                    try sync.addHandler(ssl)
                    try sync.configureHTTPServerPipeline()
                    try sync.addHandler(Handler(route: route, ssl: ssl, recorded: recorded))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        port = channel.localAddress?.port ?? 0
    }

    func close() async throws {
        try await channel.close()
    }

    private final class Handler: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart

        let route: Route
        let ssl: NIOSSLServerHandler
        let recorded: RequestLog
        var head: HTTPRequestHead?

        init(route: @escaping Route, ssl: NIOSSLServerHandler, recorded: RequestLog) {
            self.route = route
            self.ssl = ssl
            self.recorded = recorded
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head): self.head = head
            case .body: break
            case .end:
                guard let head else { return }
                let request = Request(
                    method: head.method, uri: head.uri, headers: head.headers,
                    clientCertificateDER: try? ssl.peerCertificate?.toDERBytes())
                recorded.entries.withLock { $0.append(request) }
                respond(route(request), context: context)
            }
        }

        func respond(_ response: Response, context: ChannelHandlerContext) {
            switch response {
            case .full(let status, let extra, let body):
                var headers = HTTPHeaders([("Content-Type", "application/json"), ("Content-Length", String(body.utf8.count))])
                for (name, value) in extra { headers.add(name: name, value: value) }
                context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
                context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: body)))), promise: nil)
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            case .chunked(let pieces, let abort):
                let headers = HTTPHeaders([("Content-Type", "application/json"), ("Transfer-Encoding", "chunked")])
                context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
                for piece in pieces {
                    context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: piece)))), promise: nil)
                }
                if abort {
                    context.close(promise: nil)
                } else {
                    context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
                }
            }
        }
    }
}
