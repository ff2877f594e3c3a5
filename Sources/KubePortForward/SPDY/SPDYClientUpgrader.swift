import NIOCore
import NIOHTTP1

// The classic SPDY upgrade (docs/port-forward.md, "berth's SPDY client"): `Upgrade: SPDY/3.1` plus
// `X-Stream-Protocol-Version: portforward.k8s.io`. NIO's upgrade handler adds `Upgrade` and `Connection` and
// accepts only a 101 naming `SPDY/3.1`; this upgrader also insists on the protocol version in the answer, as
// kubectl 1.30+ does, then hands the raw connection to `upgraded`.

/// Upgrades an HTTP/1.1 client connection to SPDY/3.1 for `portforward.k8s.io`.
struct SPDYClientUpgrader: NIOHTTPClientProtocolUpgrader {
    static let streamProtocolHeader = "X-Stream-Protocol-Version"
    static let streamProtocol = "portforward.k8s.io"

    let upgraded: (ChannelHandlerContext, HTTPResponseHead) -> EventLoopFuture<Void>

    var supportedProtocol: String { "SPDY/3.1" }
    var requiredUpgradeHeaders: [String] { [] }

    func addCustom(upgradeRequestHeaders: inout HTTPHeaders) {
        upgradeRequestHeaders.replaceOrAdd(name: Self.streamProtocolHeader, value: Self.streamProtocol)
    }

    func shouldAllowUpgrade(upgradeResponse: HTTPResponseHead) -> Bool {
        upgradeResponse.headers[Self.streamProtocolHeader].contains { $0.lowercased() == Self.streamProtocol }
    }

    func upgrade(context: ChannelHandlerContext, upgradeResponse: HTTPResponseHead) -> EventLoopFuture<Void> {
        upgraded(context, upgradeResponse)
    }
}
