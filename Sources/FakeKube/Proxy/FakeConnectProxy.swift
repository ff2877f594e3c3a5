import Foundation
import HostPortSyntax
import NIOCore
import NIOPosix
import Synchronization

/// A small HTTP CONNECT proxy on 127.0.0.1, for tests of clients that must reach the API server through a
/// kubeconfig's `proxy-url` or `HTTPS_PROXY`. It records every CONNECT request head, counts the tunnels it
/// opened and relays bytes both ways. Every target host is reached on 127.0.0.1 at the requested port (as a
/// real proxy resolves names the client cannot), so a test can name a server that is not loopback.
public final class FakeConnectProxy: Sendable {
    /// The listening port on 127.0.0.1.
    public let port: Int
    private let channel: any Channel
    private let log: Log

    /// The raw request heads received so far (request line and headers), refused ones included.
    public var connectRequests: [String] { log.state.withLock { $0.heads } }
    /// How many tunnels the proxy opened (answered 200 and relayed).
    public var tunnelsOpened: Int { log.state.withLock { $0.tunnels } }

    /// Starts a proxy.
    /// - Parameter requiredAuthorization: when set, a CONNECT without exactly this `Proxy-Authorization` value
    ///   is answered `407 Proxy Authentication Required`.
    public init(requiredAuthorization: String? = nil) async throws {
        let log = Log()
        self.log = log
        channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        ConnectHandler(log: log, requiredAuthorization: requiredAuthorization))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        port = channel.localAddress?.port ?? 0
    }

    /// Stops listening; open tunnels end with their peers.
    public func close() async throws {
        try await channel.close()
    }

    final class Log: Sendable {
        struct State {
            var heads: [String] = []
            var tunnels = 0
        }
        let state = Mutex(State())
    }

    /// Reads the CONNECT head, then becomes a relay to the upstream channel. Bytes that arrive while the
    /// upstream connection is being made are kept and sent first.
    private final class ConnectHandler: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer

        private enum State {
            case readingHead(ByteBuffer)
            case connecting(pending: ByteBuffer)
            case relaying(any Channel)
            case refused
        }

        private let log: Log
        private let requiredAuthorization: String?
        private var state = State.readingHead(ByteBuffer())

        init(log: Log, requiredAuthorization: String?) {
            self.log = log
            self.requiredAuthorization = requiredAuthorization
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var bytes = unwrapInboundIn(data)
            switch state {
            case .relaying(let upstream):
                upstream.writeAndFlush(bytes, promise: nil)
            case .connecting(var pending):
                pending.writeBuffer(&bytes)
                state = .connecting(pending: pending)
            case .refused:
                break
            case .readingHead(var buffer):
                buffer.writeBuffer(&bytes)
                guard let end = buffer.readableBytesView.firstRange(of: Array("\r\n\r\n".utf8)) else {
                    state = .readingHead(buffer)
                    return
                }
                let headLength = end.lowerBound - buffer.readerIndex
                let head = buffer.readString(length: headLength) ?? ""
                buffer.moveReaderIndex(forwardBy: 4)
                connect(head: head, rest: buffer, context: context)
            }
        }

        private func connect(head: String, rest: ByteBuffer, context: ChannelHandlerContext) {
            log.state.withLock { $0.heads.append(head) }
            let lines = head.components(separatedBy: "\r\n")
            let request = lines.first?.split(separator: " ") ?? []
            let authorization = lines.dropFirst().first { $0.lowercased().hasPrefix("proxy-authorization:") }
                .map { $0.dropFirst("proxy-authorization:".count).trimmingCharacters(in: .whitespaces) }
            // The target is `HOST:PORT` or `[IPV6]:PORT`, read by berth's one parser (docs/architecture.md, "Hosts and ports").
            guard request.count == 3, request[0] == "CONNECT", let port = (try? HostPort(parsing: request[1]))?.port else {
                return refuse("400 Bad Request", context: context)
            }
            if let requiredAuthorization, authorization != requiredAuthorization {
                return refuse("407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"fake\"", context: context)
            }
            state = .connecting(pending: rest)
            let client = context.channel
            let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            let log = self.log
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
                        guard case .connecting(let pending) = handler.state, context.channel.isActive else {
                            upstream.close(promise: nil)
                            return
                        }
                        handler.state = .relaying(upstream)
                        log.state.withLock { $0.tunnels += 1 }
                        context.writeAndFlush(
                            handler.wrapOutboundOut(ByteBuffer(string: "HTTP/1.1 200 Connection established\r\n\r\n")), promise: nil)
                        if pending.readableBytes > 0 { upstream.writeAndFlush(pending, promise: nil) }
                    case .failure:
                        handler.refuse("502 Bad Gateway", context: context)
                    }
                }
        }

        private func refuse(_ status: String, context: ChannelHandlerContext) {
            state = .refused
            let answer = "HTTP/1.1 \(status)\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: answer)), promise: nil)
            context.close(promise: nil)
        }

        func channelInactive(context: ChannelHandlerContext) {
            if case .relaying(let upstream) = state { upstream.close(promise: nil) }
            state = .refused
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
