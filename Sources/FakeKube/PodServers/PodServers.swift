import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// The real TCP servers behind every pod's container ports, on 127.0.0.1 with ephemeral ports. A pod's
/// servers and every connection accepted by them close when the pod is gone.
final class PodServers: Sendable {
    private struct PodEntry {
        var listeners: [Int: (channel: any Channel, address: SocketAddress)] = [:]
        var connections: [ObjectIdentifier: any Channel] = [:]
    }

    private let group: any EventLoopGroup
    private let pods = Mutex<[String: PodEntry]>([:])

    init(group: any EventLoopGroup) {
        self.group = group
    }

    /// Binds one server per port of the pod. Completes with container port → local address.
    func start(
        podUID: String, namespace: String, podName: String, ports: [Scenario.ContainerPort]
    ) -> EventLoopFuture<[Int: SocketAddress]> {
        pods.withLock { $0[podUID] = PodEntry() }
        let loop = group.next()
        let binds = ports.map { port in
            bind(podUID: podUID, namespace: namespace, podName: podName, port: port).map { (port.containerPort, $0) }
        }
        return EventLoopFuture.whenAllSucceed(binds, on: loop).flatMapThrowing { bound in
            let stillWanted = self.pods.withLock { pods -> Bool in
                guard pods[podUID] != nil else { return false }
                for (containerPort, listener) in bound { pods[podUID]!.listeners[containerPort] = listener }
                return true
            }
            if !stillWanted {
                for (_, listener) in bound { listener.channel.close(promise: nil) }
                throw FakeKubeError.objectNotFound(resource: "pods", namespace: namespace, name: podName)
            }
            return Dictionary(bound.map { ($0.0, $0.1.address) }, uniquingKeysWith: { first, _ in first })
        }
    }

    /// The local address behind a container port of a pod, or nil.
    func address(podUID: String, containerPort: Int) -> SocketAddress? {
        pods.withLock { $0[podUID]?.listeners[containerPort]?.address }
    }

    /// Open connections to a pod's servers (for tests and stats).
    func openConnections(podUID: String) -> Int {
        pods.withLock { $0[podUID]?.connections.count ?? 0 }
    }

    /// Closes the pod's servers and every connection they accepted.
    func stop(podUID: String) {
        guard let entry = pods.withLock({ $0.removeValue(forKey: podUID) }) else { return }
        for listener in entry.listeners.values { listener.channel.close(promise: nil) }
        for connection in entry.connections.values { connection.close(promise: nil) }
    }

    /// Closes every pod's servers (shutdown).
    func stopAll() {
        let uids = pods.withLock { Array($0.keys) }
        for uid in uids { stop(podUID: uid) }
    }

    private func bind(
        podUID: String, namespace: String, podName: String, port: Scenario.ContainerPort
    ) -> EventLoopFuture<(channel: any Channel, address: SocketAddress)> {
        ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelOption(.autoRead, value: port.behaviour == .http)
            .childChannelInitializer { channel in
                let admitted = self.pods.withLock { pods -> Bool in
                    guard pods[podUID] != nil else { return false }
                    pods[podUID]!.connections[ObjectIdentifier(channel)] = channel
                    return true
                }
                guard admitted else { return channel.close() }
                channel.closeFuture.whenComplete { _ in
                    _ = self.pods.withLock { $0[podUID]?.connections.removeValue(forKey: ObjectIdentifier(channel)) }
                }
                return channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    switch port.behaviour {
                    case .echo: try sync.addHandler(EchoHandler())
                    case .sink: try sync.addHandler(SinkHandler())
                    case .source: try sync.addHandler(SourceHandler())
                    case .http:
                        try sync.configureHTTPServerPipeline(withErrorHandling: true)
                        try sync.addHandler(PodHTTPHandler(namespace: namespace, pod: podName, port: port.containerPort))
                    }
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .flatMapThrowing { channel in
                guard let address = channel.localAddress else {
                    channel.close(promise: nil)
                    throw FakeKubeError.podServerBindFailed(
                        pod: "\(namespace)/\(podName)", containerPort: port.containerPort, reason: "no local address")
                }
                return (channel: channel, address: address)
            }
    }
}
