import Logging
import NIOCore
import NIOHTTP1
import Synchronization

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
/// and `/fake/v1/stats` can count them. Safe to use from any thread.
public final class PortForwardRegistry: Sendable {
    private struct Session {
        var podUID: String
        var channel: any Channel
        var streams = 0
    }

    private struct State {
        var nextID = 0
        var sessions: [Int: Session] = [:]
        var sessionIDs: [ObjectIdentifier: Int] = [:]
        var streams = 0
    }

    private let state = Mutex(State())

    /// Faults of the path to the kubelet that the port-forward layer obeys (chaos).
    public let chaos = PortForwardChaos()

    /// Creates an empty registry.
    public init() {}

    /// Closes every session and stream to the pod with this UID (the pod was deleted).
    public func closeAll(podUID: String) {
        let channels = state.withLock { $0.sessions.values.filter { $0.podUID == podUID }.map(\.channel) }
        for channel in channels { channel.close(promise: nil) }
    }

    /// Closes every port-forward session (chaos: "drop every port-forward stream").
    public func closeAll() {
        let channels = state.withLock { $0.sessions.values.map(\.channel) }
        for channel in channels { channel.close(promise: nil) }
    }

    /// Open sessions (upgraded connections) right now.
    public var openSessions: Int { state.withLock { $0.sessions.count } }

    /// Sessions (upgraded connections) accepted since start.
    public var totalSessions: Int { state.withLock { $0.nextID } }

    /// Open forwarded streams (one per forwarded TCP connection) right now.
    public var openStreams: Int { state.withLock { $0.streams } }

    /// The open sessions, oldest first, each with its pod's UID and forwarded streams open now.
    public var sessions: [(podUID: String, streams: Int)] {
        state.withLock { state in state.sessions.sorted { $0.key < $1.key }.map { ($0.value.podUID, $0.value.streams) } }
    }

    /// Tracks an upgraded connection until it closes.
    func register(podUID: String, channel: any Channel) {
        let id = state.withLock { state in
            state.nextID += 1
            state.sessions[state.nextID] = Session(podUID: podUID, channel: channel)
            state.sessionIDs[ObjectIdentifier(channel)] = state.nextID
            return state.nextID
        }
        channel.closeFuture.whenComplete { _ in
            self.state.withLock { state in
                state.sessions.removeValue(forKey: id)
                state.sessionIDs.removeValue(forKey: ObjectIdentifier(channel))
            }
        }
    }

    /// A forwarded stream started on the session of `channel`.
    func streamOpened(on channel: any Channel) { changeStreams(on: channel, by: 1) }

    /// A forwarded stream of the session of `channel` ended (nil: the handler already left its pipeline;
    /// the session is gone from the table then, only the total changes).
    func streamClosed(on channel: (any Channel)?) { changeStreams(on: channel, by: -1) }

    private func changeStreams(on channel: (any Channel)?, by delta: Int) {
        state.withLock { state in
            state.streams += delta
            if let channel, let id = state.sessionIDs[ObjectIdentifier(channel)] { state.sessions[id]?.streams += delta }
        }
    }
}

extension ChannelPipeline.SynchronousOperations {
    /// Sets up an accepted API-server connection (after TLS): HTTP/1.1 with keep-alive, port-forward
    /// upgrades handled by the port-forward layer, and every other request handed to `apiHandler`,
    /// which reads `HTTPServerRequestPart` and writes `HTTPServerResponsePart`.
    ///
    /// A request for `/api/v1/namespaces/NS/pods/NAME/portforward` that asks for an upgrade goes to
    /// `admit`; a rejection is answered with its status and JSON body (then the connection closes, as the
    /// HTTP parser stops at an upgrade request); an acceptance is upgraded to SPDY/3.1, WebSocket v4 or
    /// SPDY-in-WebSocket (docs/port-forward.md, "Dispatch"). Must be called on the channel's event loop.
    public func configureFakeKubeHTTP(
        registry: PortForwardRegistry,
        admit: @escaping PortForwardAdmit,
        apiHandler: any ChannelHandler & RemovableChannelHandler,
        logger: Logger = Logger(label: "FakeKube.PortForward", factory: { _ in SwiftLogNoOpLogHandler() })
    ) throws {
        let handlers = PortForwardHTTPHandler.HTTPHandlers(
            encoder: HTTPResponseEncoder(),
            // Bytes after an upgrade request belong to the new protocol: forward them, never drop them.
            decoder: ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .forwardBytes)),
            pipelining: HTTPRequestSequencer(),
            errors: HTTPServerProtocolErrorHandler(),
            api: apiHandler
        )
        try addHandler(handlers.encoder)
        try addHandler(handlers.decoder)
        try addHandler(handlers.pipelining)
        try addHandler(handlers.errors)
        try addHandler(PortForwardHTTPHandler(registry: registry, admit: admit, logger: logger, handlers: handlers))
        try addHandler(apiHandler)
    }
}
