import KubeAPI

/// Why a port-forward stream could not be opened or ended abnormally, named after the step that failed.
public enum PortForwardError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The server URL cannot be used (scheme, host).
    case serverURLInvalid(String)
    /// The TLS configuration could not be turned into a context (bad CA, certificate or key).
    case tlsConfigurationInvalid(String)
    /// The request headers (credentials) could not be produced.
    case credentialsFailed(String)
    /// The API server (or the HTTP proxy in front of it) could not be reached: the TCP connect was refused,
    /// reset or timed out, or the name did not resolve. Waiting may fix it (a partition, a restarting server).
    case unreachable(host: String, port: Int, reason: String)
    /// Connecting to the API server failed in a way waiting does not fix: the TLS handshake, or a proxy that
    /// answered but would not open the tunnel.
    case connectFailed(host: String, port: Int, reason: String)
    /// The server answered the upgrade with a non-101 HTTP status. `status` is the decoded Kubernetes `Status`
    /// when the body was one; `message` is its message (e.g. `pods "x" is forbidden: User "u" cannot get
    /// resource "pods/portforward" …`) or else the body text.
    case upgradeRejected(code: Int, status: Status?, message: String)
    /// The server switched protocols but not to the one asked for (`v4.channel.k8s.io`,
    /// `SPDY/3.1+portforward.k8s.io`, or `SPDY/3.1` with `portforward.k8s.io`), or the handshake was malformed.
    case protocolNotNegotiated(got: String?)
    /// The first message on a channel was not the 3-byte port prefix for the requested port.
    case portPrefixInvalid(channel: UInt8, detail: String)
    /// The connection ended before the handshake and port prefixes completed.
    case handshakeIncomplete(String)
    /// The kubelet reported an error for this port, e.g. nothing listens on it in the pod.
    case remoteError(pod: String, port: Int, message: String)
    /// The SPDY session is closed or going away (GOAWAY sent or received); open a new one.
    case sessionClosed
    /// The SPDY session already carries its maximum number of streams; open another session.
    case sessionFull
    /// The server reset a SPDY stream before accepting it (RST_STREAM with this status code).
    case streamRefused(pod: String, port: Int, status: UInt32)
    /// No PING reply within the timeout (the session itself is left open).
    case pingTimedOut

    public var description: String {
        switch self {
        case .serverURLInvalid(let url): "port-forward: invalid API server URL \(url)"
        case .tlsConfigurationInvalid(let reason): "port-forward: TLS configuration invalid: \(reason)"
        case .credentialsFailed(let reason): "port-forward: could not obtain credentials: \(reason)"
        case .unreachable(let host, let port, let reason), .connectFailed(let host, let port, let reason):
            "port-forward: cannot connect to API server \(host):\(port): \(reason)"
        case .upgradeRejected(let code, let status, let message):
            "port-forward: upgrade rejected with HTTP \(code)\(status?.reason.map { " (\($0))" } ?? ""): \(message)"
        case .protocolNotNegotiated(let got):
            "port-forward: server did not negotiate the requested protocol (got \(got.map { "\"\($0)\"" } ?? "none"))"
        case .portPrefixInvalid(let channel, let detail): "port-forward: invalid port prefix on channel \(channel): \(detail)"
        case .handshakeIncomplete(let reason): "port-forward: connection ended during the handshake: \(reason)"
        case .remoteError(let pod, let port, let message): "port-forward to pod \(pod) port \(port) failed: \(message)"
        case .sessionClosed: "port-forward: the SPDY session is closed"
        case .sessionFull: "port-forward: the SPDY session has no room for another stream"
        case .streamRefused(let pod, let port, let status):
            "port-forward to pod \(pod) port \(port) refused: the server reset the stream (SPDY status \(status))"
        case .pingTimedOut: "port-forward: no answer to a SPDY PING within the timeout"
        }
    }
}
