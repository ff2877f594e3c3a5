import Foundation
import Logging
import NIOCore
import NIOPosix
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The daemon's control socket: a Unix-domain socket, mode 0600 in a 0700 directory, speaking
/// line-delimited JSON — one request line, one reply line, as many as the client wants per connection.
///
/// ``bind(path:eventLoopGroup:logger:)`` claims the socket (removing a stale one left by a dead daemon);
/// ``serve(_:)`` answers until cancelled, then removes the socket file.
public struct ControlServer<Request: Codable & Sendable, Response: Codable & Sendable>: Sendable {
    /// The socket's path.
    public let path: String
    private let channel: NIOAsyncChannel<any Channel, Never>
    private let unserved: UnservedConnections
    private let logger: Logger

    /// Binds the control socket at `path`, creating its directory (0700) if needed.
    ///
    /// - Throws: ``BerthDaemonError/controlSocketInUse(path:)`` when a live daemon already answers there.
    public static func bind(
        path: String,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger
    ) async throws(BerthDaemonError) -> ControlServer {
        try await bind(path: path, eventLoopGroup: eventLoopGroup, logger: logger, accepted: { _ in })
    }

    /// ``bind(path:eventLoopGroup:logger:)``, telling `accepted` of every connection as it is accepted (tests
    /// keep weak references to see that nothing holds a connection once it closed).
    static func bind(
        path: String,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger,
        accepted: @escaping @Sendable (any Channel) -> Void
    ) async throws(BerthDaemonError) -> ControlServer {
        let directory = (path as NSString).deletingLastPathComponent
        try RuntimeDirectory(path: directory).prepare()
        try removeStaleSocket(at: path, logger: logger)
        let channel: NIOAsyncChannel<any Channel, Never>
        let unserved = UnservedConnections()
        do {
            // Connections are handed out as plain channels, not yet reading, and wrapped for async use
            // only by the task that serves them: a connection still queued when serving stops is then
            // simply closed (with the listener), instead of tearing down an async wrapper nobody finished.
            channel = try await ServerBootstrap(group: eventLoopGroup)
                .serverChannelOption(.backlog, value: 16)
                .childChannelOption(.autoRead, value: false)
                .bind(unixDomainSocketPath: path) { child in
                    child.eventLoop.makeCompletedFuture {
                        try child.pipeline.syncOperations.addHandler(
                            ByteToMessageHandler(LineFrameDecoder(maxLineLength: ControlProtocol.maxLineLength))
                        )
                        unserved.insert(child)
                        accepted(child)
                        return child
                    }
                }
        } catch {
            throw .controlSocketBindFailed(path: path, reason: "\(error)")
        }
        // One callback for the listener's life, not one per connection: a callback on the listener's close
        // holding each connection kept every connection ever accepted until the daemon stopped.
        channel.channel.closeFuture.whenComplete { _ in unserved.closeAll() }
        // The directory is already private; the mode is belt and braces for a directory someone loosened.
        guard chmod(path, 0o600) == 0 else {
            let reason = BerthDaemonError.reason(errno)
            try? await channel.channel.close()
            throw .controlSocketBindFailed(path: path, reason: "chmod 0600: \(reason)")
        }
        return ControlServer(path: path, channel: channel, unserved: unserved, logger: logger)
    }

    /// Answers requests with `handler` until the calling task is cancelled; then closes and removes the socket.
    /// Call it once.
    ///
    /// A connection that sends garbage gets an error reply; a connection that fails is logged and closed.
    /// Neither affects other connections.
    public func serve(_ handler: @escaping @Sendable (Request) async -> Response) async throws {
        defer { unlink(path) }
        do {
            try await withThrowingDiscardingTaskGroup { group in
                try await channel.executeThenClose { connections in
                    for try await connection in connections {
                        group.addTask { await handle(connection, handler) }
                    }
                }
            }
        } catch where Task.isCancelled {
            // Cancellation is how the daemon stops serving; it is not a failure.
        }
    }

    private func handle(_ child: any Channel, _ handler: @Sendable (Request) async -> Response) async {
        unserved.remove(child)
        do {
            let connection = try await child.eventLoop.submit {
                let connection = try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: child)
                // Reads start only now that the async wrapper is in the pipeline to receive them.
                try child.syncOptions?.setOption(.autoRead, value: true)
                child.read()
                return connection
            }.get()
            try await connection.executeThenClose { lines, replies in
                for try await line in lines {
                    let reply: ControlReply<Response>
                    do {
                        let request = try JSONDecoder().decode(Request.self, from: Data(line.readableBytesView))
                        reply = ControlReply(ok: await handler(request))
                    } catch {
                        reply = ControlReply(error: "invalid request: \(error)")
                    }
                    var encoded = try JSONEncoder().encode(reply)
                    encoded.append(UInt8(ascii: "\n"))
                    try await replies.write(ByteBuffer(bytes: encoded))
                }
            }
        } catch {
            child.close(promise: nil)
            logger.debug("control connection closed with an error", metadata: ["error": "\(error)"])
        }
    }

    /// Removes a socket file nobody listens on; refuses to touch a live one or a non-socket.
    private static func removeStaleSocket(at path: String, logger: Logger) throws(BerthDaemonError) {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        guard info.st_mode & S_IFMT == S_IFSOCK else { throw .controlSocketPathOccupied(path: path) }
        switch UnixSocketProbe.connect(path: path) {
        case .accepted:
            throw .controlSocketInUse(path: path)
        case .refused, .absent:
            logger.info("removing stale control socket", metadata: ["path": "\(path)"])
            unlink(path)
        }
    }
}

/// The connections accepted and not yet taken by a serving task: the ones the listener closes should it close
/// first (a connection still queued when serving stops). A task takes its connection out as it starts.
final class UnservedConnections: Sendable {
    private struct State {
        var channels: [ObjectIdentifier: any Channel] = [:]
        var listenerClosed = false
    }

    private let state = Mutex(State())

    /// Adds a connection just accepted; one accepted as the listener closes is closed at once.
    func insert(_ channel: any Channel) {
        let closeNow = state.withLock { state -> Bool in
            guard !state.listenerClosed else { return true }
            state.channels[ObjectIdentifier(channel)] = channel
            return false
        }
        if closeNow { channel.close(promise: nil) }
    }

    /// Takes out a connection a task serves from now on.
    func remove(_ channel: any Channel) {
        _ = state.withLock { $0.channels.removeValue(forKey: ObjectIdentifier(channel)) }
    }

    /// The listener closed: closes every connection no task took.
    func closeAll() {
        let channels = state.withLock { state in
            state.listenerClosed = true
            defer { state.channels = [:] }
            return Array(state.channels.values)
        }
        for channel in channels { channel.close(promise: nil) }
    }
}
