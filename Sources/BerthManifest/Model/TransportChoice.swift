/// How a forward reaches its pods through the API server (the manifest's `transport:` field).
///
/// `auto` tries the SPDY session tunnelled in a WebSocket, then the SPDY upgrade, then one WebSocket
/// per connection, and remembers per cluster what worked (docs/port-forward.md). The other values
/// pin one transport and never fall back.
public enum TransportChoice: String, Hashable, Sendable, CaseIterable {
    /// Negotiate: websocket-spdy, then spdy, then websocket.
    case auto
    /// One SPDY/3.1 session per pod, tunnelled in WebSocket binary messages (kubectl 1.31+'s default).
    case websocketSPDY = "websocket-spdy"
    /// One SPDY/3.1 session per pod over the classic `POST` + `Upgrade: SPDY/3.1`.
    case spdy
    /// One `v4.channel.k8s.io` WebSocket per forwarded connection.
    case websocket

    /// The values as the manifest spells them, for error messages and help.
    public static var spellings: [String] { allCases.map(\.rawValue) }
}
