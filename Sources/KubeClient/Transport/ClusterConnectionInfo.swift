import KubeAPI
import NIOHTTP1
import NIOSSL

/// What a component that opens its own connections to the API server (the port-forward dialer) needs:
/// where to connect, how to set up TLS, and the credentials of each request. Credentials are produced
/// per request so exec-plugin expiry and token-file rotation are honoured.
public struct ClusterConnectionInfo: Sendable {
    /// The API server.
    public let server: ServerAddress
    /// The name for SNI and certificate verification: `tls-server-name`, else the server host
    /// (`nil` for an IP address: NIOSSL then verifies the IP against the certificate's IP SANs).
    public let serverName: String?
    /// The HTTP CONNECT proxy to tunnel through, if any.
    public let proxy: ProxySettings?
    /// The context's namespace.
    public let namespace: String
    let provider: CredentialProvider
    let settings: TLSSettings
    let userName: String

    /// The TLS configuration for a new connection (`nil` for `http://` servers), with the current client certificate.
    public func tlsConfiguration() async throws -> TLSConfiguration? {
        guard server.isSecure else { return nil }
        return try TLSConfigurationBuilder.make(settings, clientCertificate: try await provider.clientCertificate(), user: userName)
    }

    /// The headers that authenticate one request: `Authorization: Bearer …`, `Basic …`, or none (certificate auth).
    /// Like kubectl, no credentials are sent to an `http://` server.
    public func authorizationHeaders() async throws -> HTTPHeaders {
        var headers = HTTPHeaders()
        if server.isSecure, let value = try await provider.authorization() {
            headers.add(name: "Authorization", value: value)
        }
        return headers
    }

    /// Call after a 401 (for example on an upgrade): the next request re-runs the exec plugin or re-reads the token.
    public func invalidateCredentials() async {
        await provider.invalidate()
    }
}
