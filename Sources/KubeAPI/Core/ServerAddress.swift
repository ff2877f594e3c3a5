import Foundation
import HostPortSyntax

// Here rather than in KubeClient because the port-forward client, which does not depend on KubeClient, dials
// the same server: one reading of the kubeconfig's `server:` URL for both (docs/kubeconfig.md).

/// The API server's address, split once so that requests and the port-forward dialer agree.
public struct ServerAddress: Sendable, Hashable {
    /// `https` or `http`.
    public var scheme: String
    /// Host name or IP (IPv6 without brackets).
    public var host: String
    /// The port, defaulted from the scheme.
    public var port: Int
    /// A path prefix such as `/k8s/clusters/c-1` (Rancher), without a trailing slash; usually empty.
    public var basePath: String

    /// Creates an address.
    public init(scheme: String, host: String, port: Int, basePath: String = "") {
        self.scheme = scheme
        self.host = host
        self.port = port
        self.basePath = basePath
    }

    /// Parses `server:`; `nil` when it is not an absolute http(s) URL with a host.
    public init?(url text: String) {
        guard let components = URLComponents(string: text),
            let scheme = components.scheme?.lowercased(), scheme == "https" || scheme == "http",
            let host = components.host, !host.isEmpty
        else { return nil }
        self.scheme = scheme
        self.host = Self.bare(host)
        self.port = components.port ?? (scheme == "https" ? 443 : 80)
        var path = components.percentEncodedPath
        while path.hasSuffix("/") { path.removeLast() }
        self.basePath = path
    }

    /// A URL's host without the brackets of an IPv6 literal, read by berth's one host parser
    /// (docs/architecture.md, "Hosts and ports"); a host it refuses is kept as written, for the resolver to judge.
    public static func bare(_ host: String) -> String {
        (try? NetworkHost(parsing: host))?.description ?? host
    }

    /// The name to send as SNI and to verify the certificate against when the kubeconfig sets no
    /// `tls-server-name`: the host, unless it is an IP literal (SNI carries names only).
    public var defaultServerName: String? { IPAddress(host) == nil ? host : nil }

    /// Whether TLS is used.
    public var isSecure: Bool { scheme == "https" }

    /// `host:port` with IPv6 hosts bracketed.
    public var authority: String { HostPort.format(host: host, port: port) }

    /// The base URL, e.g. `https://10.0.0.1:6443`.
    public var url: String { "\(scheme)://\(authority)\(basePath)" }
}
