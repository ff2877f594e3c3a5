import KubePortForward
import Logging
import NIOCore
import NIOPosix
import Testing

/// The tunnel's upgrade against a server that answers every request with one scripted head.
@Suite(.timeLimit(.minutes(1)))
struct TunnelHandshakeTests {
    /// Reads a request head, answers with `answer`, and then stays silent.
    private final class ScriptedAnswer: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer

        private let answer: String
        private var request = ByteBuffer()
        private var answered = false

        init(_ answer: String) { self.answer = answer }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var bytes = unwrapInboundIn(data)
            request.writeBuffer(&bytes)
            guard !answered, request.readableBytesView.firstRange(of: Array("\r\n\r\n".utf8)) != nil else { return }
            answered = true
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: answer)), promise: nil)
        }
    }

    private static func head(accept: String) -> String {
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Accept: \(accept)\r\nSec-WebSocket-Protocol: \(PortForwardDialer.tunnelSubprotocol)\r\n\r\n"
    }

    private func openTunnel(answeredWith answer: String) async throws {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(ScriptedAnswer(answer)) }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        defer { server.close(promise: nil) }
        let port = try #require(server.localAddress?.port)
        let dialer = try PortForwardDialer(server: "http://127.0.0.1:\(port)", logger: Logger(label: "test"))
        let session = try await dialer.openSession(
            to: PortForwardPod(namespace: "default", pod: "web"), transport: .websocketSPDY,
            on: MultiThreadedEventLoopGroup.singleton.next(), maxStreams: 10)
        session.close()
    }

    @Test func a101WhoseAcceptValueDoesNotAnswerTheKeyIsRefused() async throws {
        // RFC 6455 §4.1: the client fails the connection unless the accept value is the key's SHA-1 digest.
        let error = await #expect(throws: PortForwardError.self) { try await openTunnel(answeredWith: Self.head(accept: "bm90IHRoZSBkaWdlc3Q=")) }
        #expect(error == .protocolNotNegotiated(got: "invalid WebSocket handshake: upgraderDeniedUpgrade"))
    }
}
