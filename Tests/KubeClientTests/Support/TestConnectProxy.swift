import NIOCore
import NIOPosix
import Synchronization

/// A minimal HTTP CONNECT proxy on 127.0.0.1: it records each CONNECT request head, dials the target
/// (loopback only) and then relays bytes both ways.
final class TestConnectProxy: Sendable {
    final class Log: Sendable {
        let heads = Mutex<[String]>([])
    }

    let port: Int
    private let channel: any Channel
    private let log = Log()

    /// The raw request heads (request line and headers) received so far.
    var connectRequests: [String] { log.heads.withLock { $0 } }

    init() async throws {
        let log = self.log
        channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ConnectHandler(log: log))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        port = channel.localAddress?.port ?? 0
    }

    func close() async throws {
        try await channel.close()
    }

    /// Reads the CONNECT head, then becomes a relay to the upstream channel.
    private final class ConnectHandler: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer

        let log: Log
        var head = ByteBuffer()
        var upstream: (any Channel)?

        init(log: Log) { self.log = log }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var bytes = unwrapInboundIn(data)
            if let upstream {
                upstream.writeAndFlush(bytes, promise: nil)
                return
            }
            head.writeBuffer(&bytes)
            let text = String(buffer: head)
            guard let end = text.range(of: "\r\n\r\n") else { return }
            let requestHead = String(text[..<end.lowerBound])
            log.heads.withLock { $0.append(requestHead) }
            let target = requestHead.split(separator: " ").dropFirst().first.map(String.init) ?? ""
            let parts = target.split(separator: ":")
            guard requestHead.hasPrefix("CONNECT "), parts.count == 2, parts[0] == "127.0.0.1", let port = Int(parts[1]) else {
                context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: "HTTP/1.1 403 Forbidden\r\n\r\n")), promise: nil)
                context.close(promise: nil)
                return
            }
            let client = context.channel
            let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            ClientBootstrap(group: context.eventLoop)
                .channelInitializer { upstream in
                    upstream.eventLoop.makeCompletedFuture {
                        try upstream.pipeline.syncOperations.addHandler(RelayHandler(peer: client))
                    }
                }
                .connect(host: "127.0.0.1", port: port)
                .whenComplete { result in
                    let (handler, context) = loopBound.value
                    switch result {
                    case .success(let upstream):
                        handler.upstream = upstream
                        context.writeAndFlush(handler.wrapOutboundOut(ByteBuffer(string: "HTTP/1.1 200 Connection established\r\n\r\n")), promise: nil)
                    case .failure:
                        context.writeAndFlush(handler.wrapOutboundOut(ByteBuffer(string: "HTTP/1.1 502 Bad Gateway\r\n\r\n")), promise: nil)
                        context.close(promise: nil)
                    }
                }
        }

        func channelInactive(context: ChannelHandlerContext) {
            upstream?.close(promise: nil)
        }
    }

    /// Copies upstream bytes back to the client.
    private final class RelayHandler: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer

        let peer: any Channel

        init(peer: any Channel) { self.peer = peer }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            peer.writeAndFlush(unwrapInboundIn(data), promise: nil)
        }

        func channelInactive(context: ChannelHandlerContext) {
            peer.close(promise: nil)
        }
    }
}
