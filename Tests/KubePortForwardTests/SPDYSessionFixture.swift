import FakeKube
import Foundation
import KubePortForward
import Logging
import NIOCore
import NIOPosix
import NIOSSL

/// An in-process FakeKube (TLS, its own CA) with one pod, `default/lone`: echo on 7000, an endless byte
/// source on 7001; nothing listens on 7999.
struct SPDYSessionFixture {
    static let pod = KubePortForward.PortForwardPod(namespace: "default", pod: "lone")
    static let echoPort = 7000
    static let sourcePort = 7001
    static let deadPort = 7999

    static let scenario = Scenario(
        namespaces: ["default"],
        pods: [
            .init(
                name: "lone", namespace: "default", labels: ["app": "lone"],
                containers: [.init(name: "c", ports: [
                    .init(name: "echo", containerPort: 7000, behaviour: .echo),
                    .init(name: "src", containerPort: 7001, behaviour: .source),
                ])])
        ])

    let server: FakeKubeServer

    static func start() async throws -> SPDYSessionFixture {
        var quiet = Logger(label: "fake-kube")
        quiet.logLevel = .critical
        return SPDYSessionFixture(server: try await FakeKubeServer.start(scenario: scenario, logger: quiet))
    }

    func dialer(token: String? = nil) throws -> PortForwardDialer {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(server.caCertificatePEM.utf8)))
        let bearer = token ?? server.adminToken
        return try PortForwardDialer(server: server.serverURL, tls: tls, headers: { [("Authorization", "Bearer \(bearer)")] }, logger: Logger(label: "test"))
    }

    func session(_ transport: PortForwardTransport, maxStreams: Int = 250) async throws -> PortForwardSession {
        try await dialer().openSession(
            to: Self.pod, transport: transport, on: MultiThreadedEventLoopGroup.singleton.next(), maxStreams: maxStreams)
    }

    func shutdown() async { await server.shutdown() }
}

/// Opens a stream and wraps it for async use inside the initializer, so no byte can arrive unobserved.
func openAsyncStream(
    _ session: PortForwardSession, port: Int
) async throws -> NIOAsyncChannel<ByteBuffer, ByteBuffer> {
    let wrapped = session.eventLoop.makePromise(of: NIOAsyncChannel<ByteBuffer, ByteBuffer>.self)
    let opened = session.openStream(port: port) { channel in
        channel.eventLoop.makeCompletedFuture {
            wrapped.succeed(
                try NIOAsyncChannel<ByteBuffer, ByteBuffer>(
                    wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true)))
        }
    }
    opened.whenFailure { wrapped.fail($0) }
    _ = try await opened.get()
    return try await wrapped.futureResult.get()
}

