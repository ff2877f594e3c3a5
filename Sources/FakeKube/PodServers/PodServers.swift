import BerthRelay
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// The real servers behind every pod's container ports, on 127.0.0.1 with ephemeral ports: a TCP server with
/// the port's behaviour, a UDP echo server for a UDP port, or berth's relay for a relay pod. A pod's servers and
/// every connection accepted by them close when the pod is gone.
final class PodServers: Sendable {
    private struct PodEntry {
        var listeners: [Int: (channel: any Channel, address: SocketAddress)] = [:]
        var udpListeners: [Int: (channel: any Channel, address: SocketAddress)] = [:]
        var relay: RelayServer?
        var relayPorts: [Int: SocketAddress] = [:]
        var connections: [ObjectIdentifier: any Channel] = [:]
    }

    /// How many connections each pod server lets the kernel queue before it accepts them.
    static let listenBacklog: Int32 = 4096

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
            let listener = port.portProtocol == .udp
                ? bindUDPEcho(podUID: podUID, namespace: namespace, podName: podName, port: port)
                : bind(podUID: podUID, namespace: namespace, podName: podName, port: port)
            return listener.map { (port, $0) }
        }
        return EventLoopFuture.whenAllSucceed(binds, on: loop).flatMapThrowing { bound in
            let stillWanted = self.pods.withLock { pods -> Bool in
                guard pods[podUID] != nil else { return false }
                for (port, listener) in bound {
                    if port.portProtocol == .udp {
                        pods[podUID]!.udpListeners[port.containerPort] = listener
                    } else {
                        pods[podUID]!.listeners[port.containerPort] = listener
                    }
                }
                return true
            }
            if !stillWanted {
                for (_, listener) in bound { listener.channel.close(promise: nil) }
                throw FakeKubeError.objectNotFound(resource: "pods", namespace: namespace, name: podName)
            }
            return Dictionary(bound.map { ($0.0.containerPort, $0.1.address) }, uniquingKeysWith: { first, _ in first })
        }
    }

    /// Runs berth's relay as a pod's container (docs/fake-kube.md, "Relay pods"): each listen port of
    /// `configuration` bound to an ephemeral port on 127.0.0.1 and served as the pod's container port.
    func startRelay(
        podUID: String, namespace: String, podName: String, configuration: RelayConfiguration,
        resolve: @escaping RelayServer.Resolver
    ) -> EventLoopFuture<Void> {
        pods.withLock { $0[podUID] = PodEntry() }
        // Whatever the pod asks to listen on, the fake's servers stay on loopback.
        let relay = RelayServer(configuration: RelayConfiguration(routes: configuration.routes), group: group)
        let promise = group.next().makePromise(of: Void.self)
        promise.completeWithTask {
            let bound = try await relay.start(bindPort: { _ in 0 }, resolve: resolve)
            let kept = self.pods.withLock { pods -> Bool in
                guard pods[podUID] != nil else { return false }
                pods[podUID]!.relay = relay
                for (listenPort, port) in bound {
                    pods[podUID]!.relayPorts[listenPort] = try? SocketAddress(ipAddress: "127.0.0.1", port: port)
                }
                return true
            }
            if !kept {
                await relay.stop()
                throw FakeKubeError.objectNotFound(resource: "pods", namespace: namespace, name: podName)
            }
        }
        return promise.futureResult
    }

    /// The local TCP address behind a container port of a pod, or nil.
    func address(podUID: String, containerPort: Int) -> SocketAddress? {
        pods.withLock { $0[podUID].flatMap { $0.listeners[containerPort]?.address ?? $0.relayPorts[containerPort] } }
    }

    /// The local UDP address behind a UDP container port of a pod, or nil.
    func udpAddress(podUID: String, containerPort: Int) -> SocketAddress? {
        pods.withLock { $0[podUID]?.udpListeners[containerPort]?.address }
    }

    /// Open connections to a pod's servers (for tests and stats).
    func openConnections(podUID: String) -> Int {
        pods.withLock { $0[podUID]?.connections.count ?? 0 }
    }

    /// Closes the pod's servers and every connection they accepted.
    func stop(podUID: String) {
        guard let entry = pods.withLock({ $0.removeValue(forKey: podUID) }) else { return }
        for listener in entry.listeners.values { listener.channel.close(promise: nil) }
        for listener in entry.udpListeners.values { listener.channel.close(promise: nil) }
        if let relay = entry.relay { Task { await relay.stop() } }
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
            // A real pod's server takes the kernel's limit (Go's net/http asks for somaxconn); NIO's default of
            // 128 overflowed when 200 clients connected at once through a forward, and every dropped SYN cost
            // its client a 1 s retry.
            .serverChannelOption(.backlog, value: Self.listenBacklog)
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
            .flatMapThrowing { channel in try Self.bound(channel, pod: "\(namespace)/\(podName)", containerPort: port.containerPort) }
    }

    /// A UDP socket that sends every datagram back to its sender.
    private func bindUDPEcho(
        podUID: String, namespace: String, podName: String, port: Scenario.ContainerPort
    ) -> EventLoopFuture<(channel: any Channel, address: SocketAddress)> {
        DatagramBootstrap(group: group)
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: UDPFrame.maxPayload))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(UDPEchoHandler()) }
            }
            .bind(host: "127.0.0.1", port: 0)
            .flatMapThrowing { channel in try Self.bound(channel, pod: "\(namespace)/\(podName)", containerPort: port.containerPort) }
    }

    /// A bound server with its address; one without an address is closed and reported.
    private static func bound(_ channel: any Channel, pod: String, containerPort: Int) throws -> (channel: any Channel, address: SocketAddress) {
        guard let address = channel.localAddress else {
            channel.close(promise: nil)
            throw FakeKubeError.podServerBindFailed(pod: pod, containerPort: containerPort, reason: "no local address")
        }
        return (channel: channel, address: address)
    }
}

/// A UDP port's server: each datagram goes back to where it came from. Errors (an ICMP error for an earlier
/// reply) leave the socket serving.
final class UDPEchoHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.write(data, promise: nil)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {}
}
