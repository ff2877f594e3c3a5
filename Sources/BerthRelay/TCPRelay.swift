import NIOCore
import NIOPosix

/// A `--tcp` route: each accepted connection gets its own TCP connection to the target, and bytes flow both
/// ways until both have ended; an end of stream on one side is passed on as a half-close.
enum TCPRelay {
    typealias Stream = NIOAsyncChannel<ByteBuffer, ByteBuffer>

    /// Pipes `client` to a new connection to the route's target; when the target cannot be reached the client
    /// is closed.
    static func pipe(_ client: Stream, to route: RelayConfiguration.Route, resolve: RelayServer.Resolver?) async {
        let upstream: Stream
        do {
            upstream = try await connect(to: route, on: client.channel.eventLoop, resolve: resolve)
        } catch {
            try? await client.channel.close()
            return
        }
        try? await client.executeThenClose { clientInbound, clientOutbound in
            try await upstream.executeThenClose { upstreamInbound, upstreamOutbound in
                try await withThrowingTaskGroup { directions in
                    directions.addTask { try await copy(clientInbound, to: upstreamOutbound, of: upstream.channel) }
                    directions.addTask { try await copy(upstreamInbound, to: clientOutbound, of: client.channel) }
                    try await directions.waitForAll()
                }
            }
        }
    }

    /// Copies until `inbound` ends, then half-closes `outbound` (the writer of `channel`) once everything written
    /// is in the socket: when the other side has ended already, NIO makes the half-close a full close, which
    /// drops writes still queued in the channel.
    private static func copy(
        _ inbound: NIOAsyncChannelInboundStream<ByteBuffer>, to outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>,
        of channel: any Channel
    ) async throws {
        for try await buffer in inbound { try await outbound.write(buffer) }
        // A write returns once the writer handed its bytes to the channel, so this empty write is queued after
        // them, and its future completes once they are all written.
        try await channel.writeAndFlush(ByteBuffer())
        outbound.finish()
    }

    private static func connect(
        to route: RelayConfiguration.Route, on eventLoop: any EventLoop, resolve: RelayServer.Resolver?
    ) async throws -> Stream {
        let bootstrap = ClientBootstrap(group: eventLoop)
            .channelOption(.allowRemoteHalfClosure, value: true)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .connectTimeout(.seconds(10))
        let initializer: @Sendable (any Channel) -> EventLoopFuture<Stream> = { channel in
            channel.eventLoop.makeCompletedFuture {
                try Stream(wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
            }
        }
        guard let resolve else {
            return try await bootstrap.connect(host: route.host, port: route.port, channelInitializer: initializer)
        }
        guard let address = resolve(route.host, route.port, .tcp) else { throw RelayTargetUnknown(route: route) }
        return try await bootstrap.connect(to: address, channelInitializer: initializer)
    }
}
