import Foundation
import KubeAPI

/// Everything needed to talk to one cluster as one user: the resolved form of a kubeconfig context
/// (or of the in-cluster environment). Secrets inside are never printed; `description` is redacted.
public struct KubeClientConfiguration: Sendable, Hashable, CustomStringConvertible {
    /// The context name (`in-cluster` for the in-cluster configuration).
    public var contextName: String
    /// Where it came from: the kubeconfig file of the context, or `in-cluster`.
    public var source: String
    /// The context's namespace, `default` when unset.
    public var namespace: String
    /// The API server.
    public var server: ServerAddress
    /// TLS settings for the server.
    public var tls: TLSSettings
    /// `proxy-url`, an `http://` CONNECT proxy.
    public var proxy: ProxySettings?
    /// `disable-compression`.
    public var disableCompression: Bool
    /// How requests authenticate.
    public var credentials: Credentials
    /// The user entry name, for errors (`""` when the context has no user).
    public var userName: String

    /// Creates a configuration.
    public init(
        contextName: String, source: String, namespace: String = "default", server: ServerAddress,
        tls: TLSSettings = TLSSettings(), proxy: ProxySettings? = nil, disableCompression: Bool = false,
        credentials: Credentials = Credentials(), userName: String = ""
    ) {
        self.contextName = contextName
        self.source = source
        self.namespace = namespace
        self.server = server
        self.tls = tls
        self.proxy = proxy
        self.disableCompression = disableCompression
        self.credentials = credentials
        self.userName = userName
    }

    /// Context, server and the kinds of credential; never their values.
    public var description: String {
        "context \"\(contextName)\" (\(source)): \(server.url), namespace \(namespace), credentials: \(credentials)"
    }
}

/// TLS material for the server connection. PEM bytes are kept so the configuration stays a value.
public struct TLSSettings: Sendable, Hashable {
    /// The CA bundle (PEM) to trust instead of the system roots.
    public var certificateAuthorityPEM: [UInt8]?
    /// `insecure-skip-tls-verify`.
    public var insecureSkipVerify: Bool
    /// `tls-server-name`: the SNI and verification name when it differs from the server host.
    public var serverName: String?

    /// Creates TLS settings.
    public init(certificateAuthorityPEM: [UInt8]? = nil, insecureSkipVerify: Bool = false, serverName: String? = nil) {
        self.certificateAuthorityPEM = certificateAuthorityPEM
        self.insecureSkipVerify = insecureSkipVerify
        self.serverName = serverName
    }
}
