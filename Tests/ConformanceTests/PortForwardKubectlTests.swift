import BerthTestSupport
import FakeKube
import Foundation
import NIOCore
import Testing

/// `kubectl port-forward svc/NAME 0:NAMEDPORT` against the full FakeKube (Services, named ports, real pod
/// servers, authentication over HTTPS) with each protocol kubectl speaks: the tunnel (1.33's default), SPDY
/// (1.33 with KUBECTL_PORT_FORWARD_WEBSOCKETS=false) and SPDY (1.27).
@Suite(.serialized, .timeLimit(.minutes(2)))
struct PortForwardKubectlTests {
    struct Variant: Sendable, CustomTestStringConvertible {
        var version: String
        var environment: [String: String]
        var label: String
        var testDescription: String { label }
    }

    static let variants = [
        Variant(version: "1.33", environment: [:], label: "kubectl 1.33 (tunnel)"),
        Variant(version: "1.33", environment: ["KUBECTL_PORT_FORWARD_WEBSOCKETS": "false"], label: "kubectl 1.33 (SPDY)"),
        Variant(version: "1.27", environment: [:], label: "kubectl 1.27 (SPDY)"),
    ]

    /// `svc/api` in the demo scenario: its service port `grpc` (9000) has the named targetPort `grpc`, the
    /// echo server of the api pod's container port 9000.
    static let arguments = ["port-forward", "--address", "127.0.0.1", "-n", "shop", "svc/api", "0:grpc"]

    private func kubectl(_ variant: Variant) throws -> String {
        try #require(ReferenceClients.kubectl(variant.version))
    }

    @Test(.requiresKubectl("1.33", "1.27"), arguments: variants)
    func serviceNamedPortEchoesBytesExactly(_ variant: Variant) async throws {
        let kubectl = try kubectl(variant)
        try await ConformanceCluster.with { cluster in
            let forward = try await KubectlPortForward.start(
                kubectl, cluster, environment: variant.environment, Self.arguments)
            #expect(forward.remotePort == 9000, "\(variant.label): the named port resolved to the container port")

            let big = testPayload(size: 1 << 20, seed: 42)
            let echoed = try await echoThroughLocalPort(forward.localPort, payload: big)
            #expect(echoed.readableBytes == big.readableBytes, "\(variant.label): 1 MiB came back")
            #expect(echoed == big, "\(variant.label): byte-exact")

            let results = try await withThrowingTaskGroup(of: Bool.self) { group in
                for index in 0..<5 {
                    group.addTask {
                        let payload = testPayload(size: 100_000 + index * 4_099, seed: UInt64(index + 7))
                        return try await echoThroughLocalPort(forward.localPort, payload: payload) == payload
                    }
                }
                var results: [Bool] = []
                for try await ok in group { results.append(ok) }
                return results
            }
            #expect(results == Array(repeating: true, count: 5), "\(variant.label): 5 concurrent connections")
            #expect(cluster.server.stats().count(verb: "portforward", resource: "pods") >= 1)

            _ = await forward.stop()
        }
    }

    @Test(.requiresKubectl("1.33", "1.27"), arguments: variants)
    func readonlyUserIsRefusedWithKubectlsForbiddenError(_ variant: Variant) async throws {
        let kubectl = try kubectl(variant)
        try await ConformanceCluster.with { cluster in
            let (home, arguments) = try KubectlPortForward.isolatedRun(cluster, context: "readonly", Self.arguments)
            let result = try await ExternalProcess.run(
                kubectl, arguments, home: home, environment: variant.environment, timeout: .seconds(60))
            #expect(result.status != 0, "\(variant.label) exited with \(result.status)")
            // The readonly user may read the Service and its pods, so kubectl gets as far as the upgrade;
            // 1.33's tunnel falls back to SPDY on the 403 and prints the POST's (create) refusal.
            #expect(
                result.stderr.contains("error upgrading connection: pods \"api-"),
                "\(variant.label) said: \(result.stderr)")
            #expect(
                result.stderr.contains(
                    #"is forbidden: User "readonly" cannot create resource "pods/portforward" in API group "" in the namespace "shop""#),
                "\(variant.label) said: \(result.stderr)")
            #expect(cluster.server.portForwardRegistry.openSessions == 0)
        }
    }
}
