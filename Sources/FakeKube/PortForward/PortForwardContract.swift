import NIOCore
import NIOHTTP1

// The seam between FakeKube's API server and its port-forward layer.
// The API server authenticates, authorizes and finds the pod; the port-forward layer owns the
// upgrade (SPDY, WebSocket v4, SPDY tunnelled in WebSocket) and every byte after it.

/// The pod a port-forward request reaches, as the API server found it.
public struct PortForwardPod: Sendable {
    public var namespace: String
    public var name: String
    public var uid: String
    /// The local TCP server behind a container port, or nil when the pod does not listen on it
    /// (the kubelet then reports a dial failure on the error stream/channel).
    public var resolve: @Sendable (Int) -> SocketAddress?

    public init(namespace: String, name: String, uid: String, resolve: @escaping @Sendable (Int) -> SocketAddress?) {
        self.namespace = namespace
        self.name = name
        self.uid = uid
        self.resolve = resolve
    }
}

/// The API server's verdict on a `…/pods/NAME/portforward` request, before any upgrade.
public enum PortForwardAdmission: Sendable {
    /// Answer with this HTTP status and JSON `Status` body (401, 403, 404, 400 …) and do not upgrade.
    case reject(status: HTTPResponseStatus, statusJSON: String)
    /// Go ahead with the upgrade to this pod.
    case accept(PortForwardPod)
}

/// Decides on a port-forward request. Called on the connection's event loop with the request head
/// and the connection's channel (for its TLS peer identity).
public typealias PortForwardAdmit = @Sendable (HTTPRequestHead, any Channel) -> PortForwardAdmission

/// Every port-forward session the fake cluster has open, so that chaos and pod deletion can end them
/// and `/fake/v1/stats` can count them.
public final class PortForwardRegistry: Sendable {
    public init() {}

    /// Closes every session and stream to the pod with this UID (the pod was deleted).
    public func closeAll(podUID: String) {}

    /// Closes every port-forward session (chaos: "drop every port-forward stream").
    public func closeAll() {}

    /// Open sessions (upgraded connections) right now.
    public var openSessions: Int { 0 }

    /// Open forwarded streams (one per forwarded TCP connection) right now.
    public var openStreams: Int { 0 }
}

extension ChannelPipeline.SynchronousOperations {
    /// Sets up an accepted API-server connection (after TLS): HTTP/1.1 with keep-alive, port-forward
    /// upgrades handled by the port-forward layer, and every other request handed to `apiHandler`,
    /// which reads `HTTPServerRequestPart` and writes `HTTPServerResponsePart`.
    public func configureFakeKubeHTTP(
        registry: PortForwardRegistry,
        admit: @escaping PortForwardAdmit,
        apiHandler: any ChannelHandler & RemovableChannelHandler
    ) throws {
        try configureHTTPServerPipeline(withErrorHandling: true)
        try addHandler(apiHandler)
    }
}
