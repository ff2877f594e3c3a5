import BerthManifest
import FakeKube
import Foundation
import Logging
import NIOCore
import NIOPosix

@testable import BerthDaemon

/// One `Forward` whose upstream streams are real port-forward WebSockets through an API server (FakeKube,
/// or its port-forward loopback server), opened by the production connector from a kubeconfig.
enum ForwardThroughAPI {
    /// Runs a forward on 127.0.0.1:0 to `endpoint` while `body` runs, then stops it.
    /// - Parameters:
    ///   - transport: nil for the v4 connector alone; else the daemon's negotiating connector with that choice.
    ///   - wrap: puts a test connector around the production one (to add latency, say).
    static func with<T: Sendable>(
        kubeconfig: String,
        _ configuration: ForwardConfiguration,
        endpoint: UpstreamEndpoint,
        transport: TransportChoice? = nil,
        wrap: (any UpstreamConnector) -> any UpstreamConnector = { $0 },
        _ body: (Forward) async throws -> T
    ) async throws -> T {
        let clusters = ClusterRegistry(kubeconfig: kubeconfig, context: nil, environment: [:], logger: Harness.quiet)
        do {
            let cluster = try await clusters.cluster(context: nil)
            let v4 = PortForwardUpstreamConnector(
                forward: configuration.name, connection: cluster.connectionInfo, logger: Harness.quiet)
            let connector: any UpstreamConnector = transport.map {
                NegotiatingUpstreamConnector(
                    forward: configuration.name, cluster: cluster.id, choice: $0, v4: v4, sessions: clusters.sessions,
                    memory: clusters.transports, logger: Harness.quiet)
            } ?? v4
            let listener = try await ForwardListener.bind(
                host: "127.0.0.1", port: 0, eventLoop: MultiThreadedEventLoopGroup.singleton.next())
            let forward = Forward(
                listener: listener, configuration: configuration, connector: wrap(connector), logger: Harness.quiet)
            await forward.setEndpoint(endpoint)
            let result = try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await forward.run() }
                defer { group.cancelAll() }
                return try await body(forward)
            }
            await clusters.shutdown()
            return result
        } catch {
            await clusters.shutdown()
            throw error
        }
    }
}

/// Writes a kubeconfig for a port-forward loopback server (which checks no token) to a new temporary file;
/// the caller removes it.
func loopbackKubeconfig(server: PortForwardLoopbackServer) throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("berth-loop-\(UUID().uuidString)").path
    try Data("""
        apiVersion: v1
        kind: Config
        clusters: [{name: loop, cluster: {server: "\(server.url)"}}]
        users: [{name: tester, user: {token: not-checked}}]
        contexts: [{name: loop, context: {cluster: loop, user: tester, namespace: default}}]
        current-context: loop
        """.utf8).write(to: URL(fileURLWithPath: path))
    return path
}

/// The production connector with a fixed delay before every stream, standing in for a slow API server
/// (FakeKube's chaos latency delays API answers, not port-forward upgrades).
struct SlowUpgradeConnector: UpstreamConnector {
    var inner: any UpstreamConnector
    var delay: Duration

    func connect(to endpoint: UpstreamEndpoint, on eventLoop: any EventLoop) async throws -> UpstreamStream {
        try await Task.sleep(for: delay)
        return try await inner.connect(to: endpoint, on: eventLoop)
    }
}

/// A pod server for the port-forward loopback harness that accepts every connection and closes it
/// `after` later: a pod process that dies on each connection, or a kubelet that gives up on the port.
final class ClosingPodServer: Sendable {
    let channel: any Channel
    private let acceptedCount = Shared(0)

    var address: SocketAddress { channel.localAddress! }
    /// Connections accepted so far: one per port-forward stream the kubelet dialled.
    var accepted: Int { acceptedCount.withLock { $0 } }

    init(after delay: TimeAmount) async throws {
        let counter = acceptedCount
        channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { child in
                counter.withLock { $0 += 1 }
                child.eventLoop.scheduleTask(in: delay) { child.close(promise: nil) }
                return child.eventLoop.makeSucceededVoidFuture()
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
    }

    func stop() async {
        try? await channel.close()
    }
}
