import BerthTestSupport
import FakeKube
import Foundation
import NIOCore
import Testing

// The real kubectl against FakeKube's port-forward layer: tunnel (1.33 default), SPDY (1.33 with
// KUBECTL_PORT_FORWARD_WEBSOCKETS=false) and SPDY (1.27). Each run moves 1 MiB through one connection
// and then five connections at once, all byte-exact, each half-closed so FIN handling is exercised too.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct PortForwardKubectlTests {
    static let variants: [(binary: String, environment: [String: String], label: String)] = [
        ("kubectl.1.33", [:], "1.33 tunnel"),
        ("kubectl.1.33", ["KUBECTL_PORT_FORWARD_WEBSOCKETS": "false"], "1.33 SPDY"),
        ("kubectl.1.27", [:], "1.27 SPDY"),
    ]

    @Test(.requiresKubectl("1.33", "1.27"), arguments: 0..<3)
    func kubectlForwardsBytesExactly(variant: Int) async throws {
        let (binary, environment, label) = Self.variants[variant]
        let kubectl = try #require(ReferenceClients.find(binary))
        let fixture = try await EchoPodFixture.start()
        let forward = try await KubectlPortForward.start(kubectl: kubectl, server: fixture.server.url, environment: environment)
        defer { forward.stop() }

        let big = testPayload(size: 1 << 20, seed: 42)
        #expect(try await echoThroughLocalPort(forward.localPort, payload: big) == big, "\(label): 1 MiB echo")

        try await withThrowingTaskGroup(of: Bool.self) { group in
            for index in 0..<5 {
                group.addTask {
                    let payload = testPayload(size: 200_000 + index * 1000, seed: UInt64(index + 1))
                    return try await echoThroughLocalPort(forward.localPort, payload: payload) == payload
                }
            }
            var results: [Bool] = []
            for try await ok in group { results.append(ok) }
            #expect(results == [true, true, true, true, true], "\(label): 5 concurrent connections")
        }
        #expect(fixture.server.registry.openSessions == 1, "\(label): one session for all connections")
        // Each client saw EOF only after FakeKube ended the stream pair, so none may be left open.
        #expect(fixture.server.registry.openStreams == 0, "\(label): every stream closed")
        forward.stop()
        try await fixture.shutdown()
    }

    @Test(.requiresKubectl("1.33", "1.27"), arguments: ["kubectl.1.33", "kubectl.1.27"])
    func kubectlShowsTheForbiddenStatus(binary: String) async throws {
        let kubectl = try #require(ReferenceClients.find(binary))
        let fixture = try await EchoPodFixture.start()
        let (status, stderr) = try await KubectlPortForward.runToFailure(kubectl: kubectl, server: fixture.server.url, pod: "secret-pod")
        try await fixture.shutdown()
        #expect(status != 0)
        // 1.33 tries the tunnel (GET, 403), falls back to SPDY (POST) and prints that 403.
        #expect(
            stderr.contains(#"error upgrading connection: pods "secret-pod" is forbidden: User "readonly" cannot create resource "pods/portforward""#),
            "\(binary) said: \(stderr)"
        )
    }
}
