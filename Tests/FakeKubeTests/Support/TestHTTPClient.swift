import FakeKube
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// A minimal HTTPS client over NIO for the API server tests: one request per connection, with the
/// fake cluster's CA, and either the admin client certificate, a bearer token, or no credentials.
struct TestHTTPClient {
    enum Credential {
        case clientCertificate
        case token(String)
        case none
    }

    struct Response {
        var status: HTTPResponseStatus
        var headers: HTTPHeaders
        var body: [UInt8]
        var json: JSON? { JSON.parse(body) }
    }

    let server: FakeKubeServer
    var credential: Credential = .clientCertificate

    private func tlsContext() throws -> NIOSSLContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(server.caCertificatePEM.utf8)))
        configuration.certificateVerification = .noHostnameVerification
        if case .clientCertificate = credential {
            configuration.certificateChain = try NIOSSLCertificate.fromPEMBytes(Array(server.adminClientCertificatePEM.utf8))
                .map { .certificate($0) }
            configuration.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: Array(server.adminClientKeyPEM.utf8), format: .pem))
        }
        return try NIOSSLContext(configuration: configuration)
    }

    /// Sends one request and reads the whole answer.
    func request(_ method: HTTPMethod = .GET, _ uri: String, body: String? = nil, headers extra: [(String, String)] = []) async throws -> Response {
        var response: Response?
        var collected: [UInt8] = []
        try await stream(method, uri, body: body, headers: extra) { part in
            switch part {
            case .head(let head): response = Response(status: head.status, headers: head.headers, body: [])
            case .body(var buffer): collected += buffer.readBytes(length: buffer.readableBytes) ?? []
            case .end: break
            }
            return true
        }
        guard var response else { throw TestClientError.noResponse }
        response.body = collected
        return response
    }

    /// Opens a watch and hands each newline-terminated event to `onEvent` until it returns false or
    /// the server ends the stream. Returns the response status.
    @discardableResult
    func watch(_ uri: String, onEvent: (JSON) async throws -> Bool) async throws -> HTTPResponseStatus {
        var status: HTTPResponseStatus = .ok
        var pending: [UInt8] = []
        try await stream(.GET, uri, body: nil, headers: []) { part in
            switch part {
            case .head(let head):
                status = head.status
            case .body(var buffer):
                pending += buffer.readBytes(length: buffer.readableBytes) ?? []
                while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                    let line = Array(pending[..<newline])
                    pending.removeFirst(newline + 1)
                    guard let event = JSON.parse(line) else { throw TestClientError.badEvent(String(decoding: line, as: UTF8.self)) }
                    if try await !onEvent(event) { return false }
                }
            case .end:
                if !pending.isEmpty { throw TestClientError.badEvent("unterminated: \(String(decoding: pending, as: UTF8.self))") }
            }
            return true
        }
        return status
    }

    /// Writes every GET at once on one connection (HTTP/1.1 pipelining), then reads the answers in order.
    func pipelined(_ uris: [String]) async throws -> [Response] {
        var responses: [Response] = []
        try await connect { inbound, outbound in
            for uri in uris {
                try await outbound.write(.head(requestHead(.GET, uri, body: nil, headers: [])))
                try await outbound.write(.end(nil))
            }
            for try await part in inbound {
                switch part {
                case .head(let head): responses.append(Response(status: head.status, headers: head.headers, body: []))
                case .body(var buffer): responses[responses.count - 1].body += buffer.readBytes(length: buffer.readableBytes) ?? []
                case .end: if responses.count == uris.count { return }
                }
            }
        }
        return responses
    }

    private func stream(
        _ method: HTTPMethod, _ uri: String, body: String?, headers extra: [(String, String)],
        onPart: (HTTPClientResponsePart) async throws -> Bool
    ) async throws {
        try await connect { inbound, outbound in
            try await outbound.write(.head(requestHead(method, uri, body: body, headers: extra)))
            if let body { try await outbound.write(.body(.byteBuffer(ByteBuffer(string: body)))) }
            try await outbound.write(.end(nil))
            for try await part in inbound {
                if try await !onPart(part) { return }
                if case .end = part { return }
            }
        }
    }

    private func requestHead(_ method: HTTPMethod, _ uri: String, body: String?, headers extra: [(String, String)]) -> HTTPRequestHead {
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: "127.0.0.1:\(server.port)")
        headers.add(name: "Accept", value: "application/json")
        if case .token(let token) = credential { headers.add(name: "Authorization", value: "Bearer \(token)") }
        for (name, value) in extra { headers.add(name: name, value: value) }
        if let body { headers.add(name: "Content-Length", value: String(body.utf8.count)) }
        return HTTPRequestHead(version: .http1_1, method: method, uri: uri, headers: headers)
    }

    /// One TLS connection, closed when `body` returns.
    private func connect(
        _ body: (NIOAsyncChannelInboundStream<HTTPClientResponsePart>, NIOAsyncChannelOutboundWriter<HTTPClientRequestPart>) async throws -> Void
    ) async throws {
        let context = try tlsContext()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: server.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: context, serverHostname: nil))
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(wrappingChannelSynchronously: channel)
                }
            }
        try await channel.executeThenClose { inbound, outbound in try await body(inbound, outbound) }
    }
}

enum TestClientError: Error {
    case noResponse
    case badEvent(String)
}

/// Connects to a plain TCP address, sends `payload`, half-closes, and reads everything back.
func roundTrip(to address: SocketAddress, payload: [UInt8]) async throws -> [UInt8] {
    let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .channelOption(.allowRemoteHalfClosure, value: true)
        .connect(to: address) { channel in
            channel.eventLoop.makeCompletedFuture {
                try NIOAsyncChannel<ByteBuffer, ByteBuffer>(
                    wrappingChannelSynchronously: channel,
                    configuration: .init(isOutboundHalfClosureEnabled: true))
            }
        }
    return try await channel.executeThenClose { inbound, outbound in
        try await outbound.write(ByteBuffer(bytes: payload))
        outbound.finish()
        var received: [UInt8] = []
        for try await var buffer in inbound { received += buffer.readBytes(length: buffer.readableBytes) ?? [] }
        return received
    }
}
