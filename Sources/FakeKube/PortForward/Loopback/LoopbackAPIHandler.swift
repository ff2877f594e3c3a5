import NIOCore
import NIOHTTP1

// Just enough of the API server for kubectl port-forward (docs/informers.md, "Discovery"): legacy discovery and a
// Running pod GET. The real API server replaces this; it exists so that the port-forward layer can be
// proven with kubectl on its own.

/// Answers discovery and pod GETs for `PortForwardLoopbackServer`.
final class LoopbackAPIHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let pods: [PortForwardPod]
    /// Pods that exist (GET works) but whose port-forward admission refuses.
    private let forbidden: Set<String>
    private var head: HTTPRequestHead?

    init(pods: [PortForwardPod], forbidden: Set<String>) {
        self.pods = pods
        self.forbidden = forbidden
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): self.head = head
        case .body: break
        case .end:
            guard let head else { return }
            self.head = nil
            let (status, body) = answer(head)
            var headers = HTTPHeaders([("Content-Type", "application/json"), ("Content-Length", "\(body.utf8.count)")])
            if !head.isKeepAlive { headers.add(name: "Connection", value: "close") }
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: body)))), promise: nil)
            let keepAlive = head.isKeepAlive
            context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
                if !keepAlive { context.close(promise: nil) }
            }
        }
    }

    private func answer(_ head: HTTPRequestHead) -> (HTTPResponseStatus, String) {
        let path = String(head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)[0])
        switch path {
        case "/api":
            return (.ok, #"{"kind":"APIVersions","versions":["v1"],"serverAddressByClientCIDRs":[{"clientCIDR":"0.0.0.0/0","serverAddress":"127.0.0.1"}]}"#)
        case "/apis":
            return (.ok, #"{"kind":"APIGroupList","apiVersion":"v1","groups":[]}"#)
        case "/api/v1":
            return (
                .ok,
                #"{"kind":"APIResourceList","groupVersion":"v1","resources":[{"name":"pods","singularName":"pod","namespaced":true,"kind":"Pod","verbs":["get","list","watch"],"shortNames":["po"]},{"name":"pods/portforward","singularName":"","namespaced":true,"kind":"PodPortForwardOptions","verbs":["create","get"]}]}"#
            )
        default:
            break
        }
        let parts = path.split(separator: "/")
        if parts.count == 6, parts[0] == "api", parts[1] == "v1", parts[2] == "namespaces", parts[4] == "pods",
            let pod = pods.first(where: { $0.namespace == parts[3] && $0.name == parts[5] })
                ?? (forbidden.contains(String(parts[5]))
                    ? PortForwardPod(namespace: String(parts[3]), name: String(parts[5]), uid: "uid-\(parts[5])") { _ in nil } : nil)
        {
            return (
                .ok,
                #"{"kind":"Pod","apiVersion":"v1","metadata":{"name":"\#(pod.name)","namespace":"\#(pod.namespace)","uid":"\#(pod.uid)","resourceVersion":"1"},"spec":{"nodeName":"fake-node","containers":[{"name":"main","image":"echo"}]},"status":{"phase":"Running","podIP":"10.0.0.1"}}"#
            )
        }
        if parts.count == 7, parts[6] == "portforward" {
            return (.badRequest, PortForwardHTTPHandler.statusJSON(.badRequest, "Upgrade request required"))
        }
        return (.notFound, PortForwardHTTPHandler.statusJSON(.notFound, "the server could not find the requested resource"))
    }
}
