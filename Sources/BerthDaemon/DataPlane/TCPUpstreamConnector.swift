import NIOCore
import NIOPosix

/// Dials a plain TCP server per endpoint: the upstream for tests, and for forwards whose target is
/// directly reachable.
public struct TCPUpstreamConnector: UpstreamConnector {
    /// Maps an endpoint to the TCP address that serves it; nil means nothing listens there.
    public typealias Resolver = @Sendable (UpstreamEndpoint) -> SocketAddress?

    private let resolve: Resolver
    private let supportsHalfClose: Bool

    /// Creates a connector.
    /// - Parameters:
    ///   - supportsHalfClose: false makes the streams behave like WebSocket v4, which cannot carry a FIN.
    ///   - resolve: where each endpoint is served.
    public init(supportsHalfClose: Bool = true, resolve: @escaping Resolver) {
        self.supportsHalfClose = supportsHalfClose
        self.resolve = resolve
    }

    /// Connects to the endpoint's address on `eventLoop`, with autoRead off as the contract asks.
    public func connect(to endpoint: UpstreamEndpoint, on eventLoop: any EventLoop) async throws -> UpstreamStream {
        guard let address = resolve(endpoint) else {
            throw BerthDaemonError.upstreamConnectFailed(forward: "", endpoint: endpoint, reason: "no address for \(endpoint)")
        }
        let channel = try await ClientBootstrap(group: eventLoop)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelOption(.allowRemoteHalfClosure, value: supportsHalfClose)
            .channelOption(.autoRead, value: false)
            .channelInitializer { [supportsHalfClose] channel in
                channel.eventLoop.makeCompletedFuture {
                    if !supportsHalfClose { try channel.pipeline.syncOperations.addHandler(NoFINHandler()) }
                    try UpstreamStream.addStandbyHandler(to: channel.pipeline.syncOperations)
                }
            }
            .connect(to: address)
            .get()
        return UpstreamStream(channel: channel, supportsHalfClose: supportsHalfClose)
    }
}

/// Makes a TCP stream one that cannot carry a FIN, as WebSocket v4: a local EOF (`close(mode: .output)`) is taken
/// and nothing is sent; the connection ends when the server ends it.
private final class NoFINHandler: ChannelOutboundHandler, Sendable {
    typealias OutboundIn = ByteBuffer

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        guard mode == .output else { return context.close(mode: mode, promise: promise) }
        promise?.succeed()
    }
}
