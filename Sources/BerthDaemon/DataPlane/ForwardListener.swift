#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import HostPortSyntax
import NIOCore
import NIOPosix

/// A forward's bound local socket. It stays bound for the forward's whole life, whatever happens
/// upstream, so clients keep their port (docs/architecture.md, invariant 4).
///
/// Accepted sockets get TCP_NODELAY (interactive protocols), SO_KEEPALIVE (dead clients are noticed),
/// remote half-closure (a client's FIN is passed on, not taken as the end), and autoRead off: a
/// connection that waits for an endpoint reads nothing until it is bridged.
///
/// Nothing is accepted until `startAccepting`: the kernel queues the connections that come before (up to the
/// backlog). Then each accepted connection goes to the taker on the loop, as soon as it is active, with no task
/// or queue in between: a connection that finds a warm stream is bridged before the loop reads its first bytes.
public struct ForwardListener: Sendable {
    /// The address actually bound; with port 0 it carries the port the system chose.
    public let localAddress: SocketAddress
    /// The event loop of the listener, its connections and their upstream streams.
    public let eventLoop: any EventLoop
    let serverChannel: any Channel
    private let taker: NIOLoopBoundBox<(@Sendable (any Channel) -> Void)?>

    /// The bound port (the chosen one when 0 was asked for).
    public var port: Int { localAddress.port ?? 0 }

    /// `127.0.0.1:28081` or `[::1]:28081`, as logs and users write an address (not NIO's `[IPv4]host/ip:port`).
    public var address: String {
        let ip = localAddress.ipAddress ?? "\(localAddress)"
        return HostPort.format(host: ip, port: port)
    }

    /// Binds `host:port` (port 0 picks a free port) on one event loop.
    /// - Throws: `BerthDaemonError.portInUse`, `.bindPermissionDenied`, `.addressUnavailable` or `.bindFailed`.
    public static func bind(
        host: String,
        port: Int,
        eventLoop: any EventLoop,
        backlog: Int32 = 256
    ) async throws(BerthDaemonError) -> ForwardListener {
        let taker = NIOLoopBoundBox<(@Sendable (any Channel) -> Void)?>.makeEmptyBox(eventLoop: eventLoop)
        let bootstrap = ServerBootstrap(group: eventLoop, childGroup: eventLoop)
            .serverChannelOption(.backlog, value: backlog)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.autoRead, value: false)
            // Accepted sockets inherit these from the listening one: no setsockopt per connection.
            .serverChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .serverChannelOption(.socketOption(.so_keepalive), value: 1)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelOption(.autoRead, value: false)
            .childChannelInitializer { child in
                child.eventLoop.makeCompletedFuture {
                    let standby = StandbyHandler(bufferLimit: 64 * 1024, endOfInputIsDeath: false, eventLoop: child.eventLoop)
                    try child.pipeline.syncOperations.addHandler(standby)
                    try child.pipeline.syncOperations.addHandler(HandOverWhenActive(taker: taker))
                }
            }
        do {
            let server = try await bootstrap.bind(host: host, port: port).get()
            guard let address = server.localAddress else {
                server.close(promise: nil)
                throw BerthDaemonError.bindFailed(address: host, port: port, reason: "no local address after bind")
            }
            return ForwardListener(localAddress: address, eventLoop: eventLoop, serverChannel: server, taker: taker)
        } catch let error as BerthDaemonError {
            throw error
        } catch let error as IOError {
            switch error.errnoCode {
            case EADDRINUSE: throw .portInUse(address: host, port: port)
            case EACCES, EPERM: throw .bindPermissionDenied(address: host, port: port)
            case EADDRNOTAVAIL: throw .addressUnavailable(address: host, port: port)
            default: throw .bindFailed(address: host, port: port, reason: "\(error)")
            }
        } catch {
            throw .bindFailed(address: host, port: port, reason: "\(error)")
        }
    }

    /// Hands every connection accepted from now on to `take`, on the listener's loop, once it is active.
    func startAccepting(_ take: @escaping @Sendable (any Channel) -> Void) async throws {
        try await eventLoop.submit { [taker, serverChannel] in
            taker.value = take
            try serverChannel.syncOptions?.setOption(.autoRead, value: true)
        }.get()
    }

    /// Completes when the listener is closed.
    var closeFuture: EventLoopFuture<Void> { serverChannel.closeFuture }

    /// Closes a listener that will never be run; a running forward closes its own when it stops.
    public func close() async {
        try? await serverChannel.close()
    }
}

/// Hands an accepted connection to the listener's taker as soon as it is active, then leaves its pipeline. A
/// connection accepted while nobody takes them (the forward has stopped) is closed.
private final class HandOverWhenActive: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = Never

    private let taker: NIOLoopBoundBox<(@Sendable (any Channel) -> Void)?>

    init(taker: NIOLoopBoundBox<(@Sendable (any Channel) -> Void)?>) {
        self.taker = taker
    }

    func channelActive(context: ChannelHandlerContext) {
        context.fireChannelActive()
        let channel = context.channel
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        if let take = taker.value {
            take(channel)
        } else {
            channel.close(promise: nil)
        }
    }
}
