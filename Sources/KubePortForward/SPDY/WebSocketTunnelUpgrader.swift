import NIOCore
import NIOHTTP1
import NIOWebSocket

// The tunnel's WebSocket upgrade (docs/port-forward.md, "berth's SPDY client"). NIO's WebSocket upgrader sends
// the key and checks the server's accept value, then installs NIO's frame encoder and decoder. The tunnel reads
// frames itself (`WebSocketTunnelHandler`), so this upgrader lets NIO's do the handshake and installs only the
// encoder: a decoder installed and then removed could take bytes that arrive in between.

/// Upgrades an HTTP/1.1 client connection to a WebSocket whose inbound frames the tunnel handler reads.
struct WebSocketTunnelUpgrader: NIOHTTPClientProtocolUpgrader {
    private let handshake: NIOWebSocketClientUpgrader
    private let upgraded: (ChannelHandlerContext, HTTPResponseHead) -> EventLoopFuture<Void>

    /// - Parameter upgraded: runs once the server switched protocols, with the frame encoder in place.
    init(upgraded: @escaping (ChannelHandlerContext, HTTPResponseHead) -> EventLoopFuture<Void>) {
        self.handshake = NIOWebSocketClientUpgrader(automaticErrorHandling: false) { channel, _ in
            channel.eventLoop.makeSucceededVoidFuture()
        }
        self.upgraded = upgraded
    }

    var supportedProtocol: String { handshake.supportedProtocol }
    var requiredUpgradeHeaders: [String] { handshake.requiredUpgradeHeaders }

    func addCustom(upgradeRequestHeaders: inout HTTPHeaders) {
        handshake.addCustom(upgradeRequestHeaders: &upgradeRequestHeaders)
    }

    /// NIO's check: the accept value answers the key sent.
    func shouldAllowUpgrade(upgradeResponse: HTTPResponseHead) -> Bool {
        handshake.shouldAllowUpgrade(upgradeResponse: upgradeResponse)
    }

    func upgrade(context: ChannelHandlerContext, upgradeResponse: HTTPResponseHead) -> EventLoopFuture<Void> {
        do {
            try context.pipeline.syncOperations.addHandler(WebSocketFrameEncoder())
        } catch {
            return context.eventLoop.makeFailedFuture(error)
        }
        return upgraded(context, upgradeResponse)
    }
}
