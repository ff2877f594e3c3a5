import NIOCore
import NIOPosix

/// A TCP echo server on 127.0.0.1 for port-forward tests: echoes every byte, passes a half-close on
/// (EOF in → FIN out after the echo drains), and reads only while it can write (no unbounded buffering).
public final class LoopbackEchoServer: Sendable {
    /// Where the server listens.
    public let address: SocketAddress
    private let channel: any Channel

    private init(channel: any Channel) {
        self.channel = channel
        self.address = channel.localAddress!
    }

    /// Starts listening on an ephemeral loopback port.
    public static func start(group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) async throws -> LoopbackEchoServer {
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(LoopbackEchoHandler())
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        return LoopbackEchoServer(channel: channel)
    }

    /// Stops listening (open connections are left to their peers).
    public func shutdown() async throws {
        try await channel.close()
    }
}

private final class LoopbackEchoHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var readHeld = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.write(data, promise: nil)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
    }

    func read(context: ChannelHandlerContext) {
        if context.channel.isWritable { context.read() } else { readHeld = true }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable, readHeld {
            readHeld = false
            context.read()
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case ChannelEvent.inputClosed = event {
            context.channel.closeOutputOnceWritten()
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
