import AsyncHTTPClient
import BerthMetrics
import Foundation
import KubeAPI
import Logging
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// A client of one cluster as one user: one per (kubeconfig, context), shared by everything that talks to
/// that cluster (see `KubeClientRegistry`). Connections are pooled and reused. Call `shutdown()` when done.
public final class KubeClient: Sendable {
    /// The resolved configuration.
    public let configuration: KubeClientConfiguration
    /// What the port-forward dialer needs to open its own connections.
    public let connectionInfo: ClusterConnectionInfo
    let http: HTTPClient
    let provider: CredentialProvider
    let logger: Logger
    /// Counts every request by verb, and the watch restarts of reflectors over this client.
    public let metrics: APIMetrics
    /// The host requests are addressed to: `tls-server-name` when set, so SNI and verification use it
    /// while `dnsOverride` sends the bytes to the real server.
    let requestBase: String
    /// Largest non-watch answer read into memory; a list bigger than this should be paginated.
    static let maximumResponseSize = 256 << 20
    /// Largest error body read; Status objects are small.
    static let maximumErrorBodySize = 1 << 20
    /// The TLS configuration for exec-issued client certificates, rebuilt only when the certificate changes.
    let dynamicTLS = Mutex<(ClientCertificatePEM, TLSConfiguration)?>(nil)
    /// Creates a client.
    /// - Parameters:
    ///   - environment: passed to exec plugins (with `PATH`); without a kubeconfig `proxy-url`, its
    ///     `HTTPS_PROXY`/`HTTP_PROXY`/`NO_PROXY` choose the proxy (see `ProxyEnvironment`).
    ///   - now: the wall clock exec credential expiry is checked against.
    ///   - metrics: where requests are counted (docs/metrics.md).
    public init(
        configuration: KubeClientConfiguration, eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        now: @escaping @Sendable () -> Date = { Date() }, metrics: APIMetrics = APIMetrics(), logger: Logger
    ) throws {
        self.configuration = configuration
        self.metrics = metrics
        var logger = logger
        logger[metadataKey: "kube.context"] = "\(configuration.contextName)"
        self.logger = logger
        let provider = CredentialProvider(configuration: configuration, environment: environment, now: now, logger: logger)
        self.provider = provider
        let server = configuration.server
        let serverName = configuration.tls.serverName ?? server.defaultServerName
        // kubectl's rule: the kubeconfig's proxy-url, else HTTPS_PROXY/HTTP_PROXY unless NO_PROXY names the server.
        let proxy = try configuration.proxy ?? ProxyEnvironment.proxy(for: server, environment: environment)
        connectionInfo = ClusterConnectionInfo(
            server: server, serverName: serverName, proxy: proxy, namespace: configuration.namespace,
            provider: provider, settings: configuration.tls, userName: configuration.userName)

        var http = HTTPClient.Configuration()
        if server.isSecure {
            http.tlsConfiguration = try TLSConfigurationBuilder.make(
                configuration.tls, clientCertificate: configuration.credentials.clientCertificate, user: configuration.userName)
        }
        var host = server.authority
        if let name = configuration.tls.serverName, server.isSecure {
            http.dnsOverride = [name: server.host]
            host = "\(name):\(server.port)"
        }
        requestBase = "\(server.scheme)://\(host)\(server.basePath)"
        if let proxy {
            let authorization = proxy.username.map { HTTPClient.Authorization.basic(username: $0, password: proxy.password ?? "") }
            http.proxy = .server(host: proxy.host, port: proxy.port, authorization: authorization)
        }
        http.httpVersion = .http1Only
        http.redirectConfiguration = .disallow
        http.timeout = .init(connect: .seconds(15), read: nil)
        // Fail fast on refused connections and TLS errors: callers (the reflector) own the retry policy and backoff.
        http.connectionPool.retryConnectionEstablishment = false
        // Over HTTP/1.1 every watch holds its connection for minutes, and every informer has one watch. The pool's
        // default of 8 connections per host would queue the ninth informer's list behind watches that do not end
        // (forwards in a fourth namespace would never sync). Go's transport, which kubectl uses, has no such limit.
        http.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = Self.maximumConnectionsPerHost
        http.decompression = configuration.disableCompression ? .disabled : .enabled(limit: .ratio(1000))
        self.http = HTTPClient(eventLoopGroup: eventLoopGroup, configuration: http, backgroundActivityLogger: logger)
    }

    /// Closes pooled connections. Must be called before the client is released.
    public func shutdown() async throws {
        try await http.shutdown()
    }

    /// The namespace of the context.
    public var namespace: String { configuration.namespace }

    /// Room for every informer's watch plus the lists beside them; a bound still, so that a bug cannot open
    /// connections without limit.
    static let maximumConnectionsPerHost = 1024
}

extension KubeClient {
    /// Sends one request and returns the response once its head arrived; non-2xx answers become
    /// `KubeClientError.api` (a 401 also invalidates cached credentials), failures without an answer `.transport`.
    /// A `body` is sent as JSON.
    func send(
        _ verb: APIVerb, _ method: HTTPMethod, path: String, query: [(String, String)] = [], body: ByteBuffer? = nil,
        deadline: NIODeadline
    ) async throws -> HTTPClientResponse {
        metrics.request(verb)
        let description = "\(method.rawValue) \(path)"
        var request = HTTPClientRequest(url: requestBase + path + (query.isEmpty ? "" : "?" + QueryString.encode(query)))
        request.method = method
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "User-Agent", value: "berth")
        if !configuration.disableCompression { request.headers.add(name: "Accept-Encoding", value: "gzip") }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(body)
        }
        do {
            request.headers.add(contentsOf: try await connectionInfo.authorizationHeaders())
            request.tlsConfiguration = try await dynamicTLSConfiguration()
        } catch let error as KubeClientError {
            throw error
        } catch {
            throw KubeClientError.credentials(user: configuration.userName, message: "\(error)")
        }
        let response: HTTPClientResponse
        do {
            response = try await http.execute(request, deadline: deadline, logger: logger)
        } catch {
            throw KubeClientError.transport(request: description, description: Self.describe(error))
        }
        guard (200..<300).contains(response.status.code) else {
            if response.status == .unauthorized { await provider.invalidate() }
            throw await Self.apiError(response, request: description)
        }
        return response
    }

    /// Sends a request and decodes its JSON answer.
    func sendJSON<Answer: Decodable>(
        _ type: Answer.Type, _ verb: APIVerb, _ method: HTTPMethod, path: String, query: [(String, String)] = [],
        body: ByteBuffer? = nil, timeout: TimeAmount = .seconds(60)
    ) async throws -> Answer {
        let description = "\(method.rawValue) \(path)"
        let response = try await send(verb, method, path: path, query: query, body: body, deadline: .now() + timeout)
        let body: ByteBuffer
        do {
            body = try await response.body.collect(upTo: Self.maximumResponseSize)
        } catch {
            throw KubeClientError.transport(request: description, description: Self.describe(error))
        }
        do {
            return try JSONDecoder().decode(Answer.self, from: body)
        } catch {
            throw KubeClientError.decoding(request: description, description: "\(error)")
        }
    }

    /// The TLS configuration carrying an exec plugin's client certificate; `nil` uses the client's own.
    private func dynamicTLSConfiguration() async throws -> TLSConfiguration? {
        guard configuration.server.isSecure, case .exec = configuration.credentials.bearer,
            let certificate = try await provider.clientCertificate()
        else { return nil }
        if let cached = dynamicTLS.withLock({ $0 }), cached.0 == certificate { return cached.1 }
        let tls = try TLSConfigurationBuilder.make(configuration.tls, clientCertificate: certificate, user: configuration.userName)
        dynamicTLS.withLock { $0 = (certificate, tls) }
        return tls
    }

    /// Error descriptions come from NIO and AsyncHTTPClient; they carry no request headers, hence no credentials.
    static func describe(_ error: any Error) -> String {
        // NIO's parser stops at 80 KiB of headers, so a server that sends more costs no more memory than that.
        if let parser = error as? HTTPParserError, parser == .headerOverflow { return "the response headers are larger than 80 KiB" }
        // NIO's own words for a name that does not resolve read like internals
        // ("SocketAddressError.UnknownHost … (error -2)"): say what happened instead.
        if let error = error as? NIOConnectionError, error.dnsAError != nil || error.dnsAAAAError != nil {
            return "cannot resolve address \"\(error.host)\""
        }
        if let error = error as? SocketAddressError.UnknownHost {
            return "cannot resolve address \"\(error.host)\""
        }
        // The same for a connect that failed ("connection reset (error set): Connection refused) (errno: 111)"):
        // the system's words, "connection refused", "no route to host".
        let connect = (error as? IOError) ?? (error as? NIOConnectionError)?.connectionErrors.lazy.compactMap { $0.error as? IOError }.first
        if let connect { return String(cString: strerror(connect.errnoCode)).lowercased() }
        return String(describing: error)
    }
}
