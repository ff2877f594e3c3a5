/// How a port-forward reaches the pod (docs/port-forward.md, "The endpoint and the three protocols").
public enum PortForwardTransport: String, Sendable, CaseIterable, Codable {
    /// SPDY/3.1 tunnelled in WebSocket binary messages (`SPDY/3.1+portforward.k8s.io`, kubectl 1.31+).
    case websocketSPDY = "websocket-spdy"
    /// `POST` + `Upgrade: SPDY/3.1`, `X-Stream-Protocol-Version: portforward.k8s.io` (every API server).
    case spdy
    /// `v4.channel.k8s.io`, one WebSocket per forwarded connection (`PortForwardDialer.dial`).
    case websocket
}

/// The pod a SPDY session forwards to; the port is chosen per stream.
public struct PortForwardPod: Sendable, Hashable, CustomStringConvertible {
    /// The pod's namespace.
    public var namespace: String
    /// The pod's name.
    public var pod: String

    /// Names a pod.
    public init(namespace: String, pod: String) {
        self.namespace = namespace
        self.pod = pod
    }

    /// `namespace/pod`, for logs.
    public var description: String { "\(namespace)/\(pod)" }
}
