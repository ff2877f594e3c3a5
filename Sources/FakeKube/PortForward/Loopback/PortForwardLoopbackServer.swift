import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// A minimal plain-HTTP API server on 127.0.0.1 that serves only port-forward (plus the discovery and pod
/// GETs kubectl needs first). For tests of the port-forward layer and of port-forward clients; the full
/// fake cluster uses the same `configureFakeKubeHTTP` seam.
public final class PortForwardLoopbackServer: Sendable {
    /// The sessions and streams this server has open.
    public let registry: PortForwardRegistry
    /// The listening port on 127.0.0.1.
    public let port: Int
    private let channel: any Channel
    private let usesTLS: Bool

    /// `http://127.0.0.1:PORT`, or `https://…` when serving TLS.
    public var url: String { "\(usesTLS ? "https" : "http")://127.0.0.1:\(port)" }

    private init(channel: any Channel, registry: PortForwardRegistry, usesTLS: Bool) {
        self.channel = channel
        self.registry = registry
        self.usesTLS = usesTLS
        self.port = channel.localAddress!.port!
    }

    /// Starts serving `pods`. Pods named in `forbidden` exist (their GET answers a Running pod) but their
    /// port-forward requests get a 403 Status like RBAC's, for user `readonly`; unknown pods get 404.
    /// With `tls`, connections are HTTPS.
    public static func start(
        pods: [PortForwardPod],
        forbidden: Set<String> = [],
        tls: NIOSSLContext? = nil,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> PortForwardLoopbackServer {
        let registry = PortForwardRegistry()
        let admit: PortForwardAdmit = { head, _ in
            let parts = head.uri.split(separator: "?")[0].split(separator: "/")
            let (namespace, name) = (String(parts[3]), String(parts[5]))
            let verb = head.method == .POST ? "create" : "get"
            if forbidden.contains(name) {
                return .reject(
                    status: .forbidden,
                    statusJSON: #"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"pods \"\#(name)\" is forbidden: User \"readonly\" cannot \#(verb) resource \"pods/portforward\" in API group \"\" in the namespace \"\#(namespace)\"","reason":"Forbidden","details":{"name":"\#(name)","kind":"pods"},"code":403}"#
                )
            }
            guard let pod = pods.first(where: { $0.namespace == namespace && $0.name == name }) else {
                return .reject(
                    status: .notFound,
                    statusJSON: #"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"pods \"\#(name)\" not found","reason":"NotFound","details":{"name":"\#(name)","kind":"pods"},"code":404}"#
                )
            }
            return .accept(pod)
        }
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls { try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls)) }
                    try channel.pipeline.syncOperations.configureFakeKubeHTTP(
                        registry: registry,
                        admit: admit,
                        apiHandler: LoopbackAPIHandler(pods: pods, forbidden: forbidden)
                    )
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        return PortForwardLoopbackServer(channel: channel, registry: registry, usesTLS: tls != nil)
    }

    /// Stops listening and ends every port-forward session.
    public func shutdown() async throws {
        registry.closeAll()
        try await channel.close()
    }
}
