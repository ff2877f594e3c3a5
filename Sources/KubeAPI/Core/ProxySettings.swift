// Here rather than in KubeClient because the port-forward client, which does not depend on KubeClient,
// tunnels its streams through the same proxy (docs/kubeconfig.md).

/// An HTTP CONNECT proxy: the kubeconfig's `proxy-url`, or `HTTPS_PROXY` as kubectl reads it.
public struct ProxySettings: Sendable, Hashable {
    /// Proxy host.
    public var host: String
    /// Proxy port.
    public var port: Int
    /// `user:password` from the proxy URL, if any; sent as Proxy-Authorization basic credentials.
    public var username: String?
    /// The password part.
    public var password: String?

    /// Creates proxy settings.
    public init(host: String, port: Int, username: String? = nil, password: String? = nil) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
    }
}
