import Foundation
import KubeAPI
import NIOCore
import NIOHTTP1
import NIOSSL

// Sends the upgrade request and, when the server refuses (any non-101), reads the answer so the caller
// gets the Status message ("… is forbidden: User … cannot get resource \"pods/portforward\" …") rather
// than a bare status code. On a 101 the upgrader removes this handler.

/// Drives the HTTP half of the port-forward handshake.
final class UpgradeHandshakeHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    /// A refusal body larger than this is cut; Status bodies are a few hundred bytes.
    static let maximumBodySize = 64 * 1024

    private let request: HTTPRequestHead
    private let host: String
    private let port: Int
    private let failed: (PortForwardError) -> Void
    private var response: HTTPResponseHead?
    private var body = ByteBuffer()
    private var requestSent = false

    init(request: HTTPRequestHead, host: String, port: Int, failed: @escaping (PortForwardError) -> Void) {
        self.request = request
        self.host = host
        self.port = port
        self.failed = failed
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { sendRequest(context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        sendRequest(context: context)
        context.fireChannelActive()
    }

    private func sendRequest(context: ChannelHandlerContext) {
        guard !requestSent else { return }
        requestSent = true
        context.write(wrapOutboundOut(.head(request)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            response = head
        case .body(var chunk):
            let room = Self.maximumBodySize - body.readableBytes
            if room > 0, let slice = chunk.readSlice(length: min(room, chunk.readableBytes)) {
                body.writeImmutableBuffer(slice)
            }
        case .end:
            rejected(context: context)
        }
    }

    private func rejected(context: ChannelHandlerContext) {
        let code = Int(response?.status.code ?? 0)
        let text = String(buffer: body)
        let status = try? JSONDecoder().decode(Status.self, from: Data(text.utf8))
        let message = status?.message ?? (text.isEmpty ? (response?.status.reasonPhrase ?? "") : text)
        failed(.upgradeRejected(code: code, status: status?.message != nil || status?.code != nil ? status : nil, message: message))
        context.close(promise: nil)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        switch error {
        case let error as NIOHTTPClientUpgradeError:
            failed(.protocolNotNegotiated(got: "invalid WebSocket handshake: \(error)"))
        case let error as NIOSSLError:
            failed(.connectFailed(host: host, port: port, reason: "TLS: \(error)"))
        default:
            failed(.handshakeIncomplete("\(error)"))
        }
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        failed(.handshakeIncomplete("the server closed the connection before answering the upgrade"))
        context.fireChannelInactive()
    }
}
