import FakeKube
import Foundation
import NIOPosix
import Testing

@testable import BerthDaemon

/// The production upstream connector against FakeKube's port-forward endpoint.
@Suite struct ControllerPortForwardConnectorTests {
    @Test func aForbiddenPortForwardNamesTheVerbAndResource() async throws {
        try await Harness.with { harness in
            let readonly = harness.directory.appendingPathComponent("readonly").path
            try harness.server.writeKubeconfig(to: readonly, user: .readonly)
            let clusters = ClusterRegistry(kubeconfig: readonly, context: nil, environment: [:], logger: Harness.quiet)
            let cluster = try await clusters.cluster(context: nil)
            let connector = PortForwardUpstreamConnector(forward: "lone", connection: cluster.connectionInfo, logger: Harness.quiet)
            let target = UpstreamEndpoint(namespace: "default", podName: "lone", podUID: "", port: 7000)
            await #expect {
                _ = try await connector.connect(to: target, on: MultiThreadedEventLoopGroup.singleton.next())
            } throws: { error in
                guard case BerthDaemonError.upstreamRefused(let forward, _, let reason, let message) = error else { return false }
                return forward == "lone" && reason == .forbidden && message.hasPrefix("forbidden:") && message.contains("pods/portforward")
            }
            await clusters.shutdown()
        }
    }

    @Test func anAdminStreamReachesThePodWithAutoReadOff() async throws {
        try await Harness.with { harness in
            let clusters = ClusterRegistry(kubeconfig: harness.kubeconfig, context: nil, environment: [:], logger: Harness.quiet)
            let cluster = try await clusters.cluster(context: nil)
            let connector = PortForwardUpstreamConnector(forward: "lone", connection: cluster.connectionInfo, logger: Harness.quiet)
            let loop = MultiThreadedEventLoopGroup.singleton.next()
            let stream = try await connector.connect(to: UpstreamEndpoint(namespace: "default", podName: "lone", podUID: "", port: 7000), on: loop)
            #expect(stream.channel.eventLoop === loop, "the data plane needs the stream on the forward's loop")
            #expect(try await stream.channel.getOption(.autoRead) == false)
            #expect(!stream.supportsHalfClose)
            try await stream.channel.close()
            await clusters.shutdown()
        }
    }
}

/// The kubeconfig's `proxy-url` carries port-forward streams, not only REST requests and watches.
@Suite struct ControllerPortForwardProxyTests {
    @Test func everyStreamOfAClusterWithProxyURLIsTunnelledThroughTheProxy() async throws {
        try await Harness.with { harness in
            let proxy = try await FakeConnectProxy()
            let kubeconfig = harness.directory.appendingPathComponent("proxied").path
            let yaml = harness.server.kubeconfigYAML().replacingOccurrences(
                of: "      server: ", with: "      proxy-url: http://127.0.0.1:\(proxy.port)\n      server: ")
            try Data(yaml.utf8).write(to: URL(fileURLWithPath: kubeconfig))
            let clusters = ClusterRegistry(kubeconfig: kubeconfig, context: nil, environment: [:], logger: Harness.quiet)
            let cluster = try await clusters.cluster(context: nil)
            #expect(cluster.connectionInfo.proxy?.port == proxy.port)
            let connector = PortForwardUpstreamConnector(forward: "lone", connection: cluster.connectionInfo, logger: Harness.quiet)
            let loop = MultiThreadedEventLoopGroup.singleton.next()
            let before = proxy.tunnelsOpened
            for _ in 1...2 {
                let stream = try await connector.connect(
                    to: UpstreamEndpoint(namespace: "default", podName: "lone", podUID: "", port: 7000), on: loop)
                try await stream.channel.close()
            }
            #expect(proxy.tunnelsOpened == before + 2)
            await clusters.shutdown()
            try await proxy.close()
        }
    }
}
