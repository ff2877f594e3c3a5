import NIOCore
import NIOPosix
import Synchronization

/// The relay: one TCP listener per route, each accepted connection piped to its route's target, as TCP bytes
/// or as framed datagrams (docs/relay.md). It reaches only the targets of its configuration.
public final class RelayServer: Sendable {
    /// Maps a target (host, port, and whether TCP or UDP reaches it) to an address, in place of DNS; nil means
    /// there is no such target, and the relay treats it as unreachable.
    public typealias Resolver = @Sendable (_ host: String, _ port: Int, _ kind: RelayConfiguration.Kind) -> SocketAddress?

    private struct State: ~Copyable {
        var serving: Task<Void, Never>?
        var stopped = false
    }

    private typealias Connection = NIOAsyncChannel<ByteBuffer, ByteBuffer>
    private typealias Listener = NIOAsyncChannel<Connection, Never>

    /// The routes served.
    public let configuration: RelayConfiguration
    private let group: any EventLoopGroup
    private let state = Mutex(State())

    /// A relay for `configuration` whose sockets run on `group`.
    public init(configuration: RelayConfiguration, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.configuration = configuration
        self.group = group
    }

    /// Listens on every route's port and serves until `stop()`.
    /// - Parameters:
    ///   - bindPort: the port actually bound for a route's listen port (0 binds an ephemeral port: FakeKube
    ///     runs relays side by side on one machine).
    ///   - resolve: where a target is, instead of DNS (FakeKube maps cluster names and pod IPs); nil asks the
    ///     system resolver.
    /// - Returns: each route's listen port → the port bound for it.
    /// - Throws: when a port cannot be bound (nothing is left listening then), or after `stop()`.
    @discardableResult
    public func start(
        bindPort: @Sendable (Int) -> Int = { $0 }, resolve: Resolver? = nil
    ) async throws -> [Int: Int] {
        var listeners: [(RelayConfiguration.Route, Listener)] = []
        do {
            for route in configuration.routes {
                listeners.append((route, try await listen(route, port: bindPort(route.listenPort))))
            }
        } catch {
            for (_, listener) in listeners { try? await listener.channel.close() }
            throw error
        }
        let bound = Dictionary(
            listeners.map { route, listener in (route.listenPort, listener.channel.localAddress?.port ?? 0) },
            uniquingKeysWith: { first, _ in first })
        let serving = Task {
            await withDiscardingTaskGroup { group in
                for (route, listener) in listeners {
                    group.addTask { await Self.serve(listener, route: route, resolve: resolve) }
                }
            }
        }
        let stale = state.withLock { state -> Bool in
            guard !state.stopped, state.serving == nil else { return true }
            state.serving = serving
            return false
        }
        if stale {
            serving.cancel()
            await serving.value
            throw RelayServerError.notStartable
        }
        return bound
    }

    /// Closes every listener and every relayed connection, and returns once they are closed.
    public func stop() async {
        let serving = state.withLock { state -> Task<Void, Never>? in
            state.stopped = true
            return state.serving.take()
        }
        serving?.cancel()
        await serving?.value
    }

    private func listen(_ route: RelayConfiguration.Route, port: Int) async throws -> Listener {
        try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .bind(host: configuration.listenHost, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    if route.kind == .udp {
                        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(UDPFrameDecoder()))
                    }
                    return try Connection(
                        wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
                }
            }
    }

    /// Accepts until cancelled; each connection is relayed in its own child task, closed on cancellation.
    private static func serve(_ listener: Listener, route: RelayConfiguration.Route, resolve: Resolver?) async {
        try? await listener.executeThenClose { inbound in
            try await withThrowingDiscardingTaskGroup { connections in
                for try await connection in inbound {
                    connections.addTask {
                        switch route.kind {
                        case .tcp: await TCPRelay.pipe(connection, to: route, resolve: resolve)
                        case .udp: await UDPRelay.carry(connection, to: route, resolve: resolve)
                        }
                    }
                }
            }
        }
    }
}

/// A relay that cannot start.
public enum RelayServerError: Error, Sendable, CustomStringConvertible {
    /// `start` after `stop`, or a second `start`.
    case notStartable

    /// What went wrong.
    public var description: String { "the relay was stopped or is already started" }
}

/// A target the relay's resolver does not know (the connection for it is closed).
struct RelayTargetUnknown: Error {
    var route: RelayConfiguration.Route
}
