import BerthTestSupport
import FakeKube
import KubePortForward
import Logging
import NIOCore
import NIOPosix
import Testing

// berth's v4 client against FakeKube's v4 server, in process, over loopback.
@Suite(.timeLimit(.minutes(1)))
struct PortForwardDialerTests {
    private struct Fixture {
        let echo: LoopbackEchoServer
        let server: PortForwardLoopbackServer
        let dialer: PortForwardDialer

        static func start(localEOFGrace: TimeAmount = .milliseconds(300)) async throws -> Fixture {
            let echo = try await LoopbackEchoServer.start()
            let address = echo.address
            let pod = PortForwardPod(namespace: "default", name: "echo-pod", uid: "uid-1") { $0 == 80 ? address : nil }
            let server = try await PortForwardLoopbackServer.start(pods: [pod], forbidden: ["secret-pod"])
            let dialer = try PortForwardDialer(
                server: server.url,
                headers: { [("Authorization", "Bearer test-token")] },
                localEOFGrace: localEOFGrace,
                logger: Logger(label: "test")
            )
            return Fixture(echo: echo, server: server, dialer: dialer)
        }

        func shutdown() async throws {
            try await server.shutdown()
            try await echo.shutdown()
        }
    }

    @Test func severalMebibytesEchoByteExactBothWays() async throws {
        let fixture = try await Fixture.start()
        let stream = try await fixture.dialer.dial(PortForwardTarget(namespace: "default", pod: "echo-pod", port: 80))
        let sent = testPayload(size: 3 << 20, seed: 9)
        let received = try await stream.executeThenClose { inbound, outbound in
            try await withThrowingTaskGroup(of: ByteBuffer?.self) { group in
                group.addTask {
                    var rest = sent
                    while rest.readableBytes > 0, let chunk = rest.readSlice(length: min(100_000, rest.readableBytes)) {
                        try await outbound.write(chunk)
                    }
                    return nil
                }
                group.addTask {
                    var received = ByteBuffer()
                    for try await var chunk in inbound {
                        received.writeBuffer(&chunk)
                        if received.readableBytes >= sent.readableBytes { break }
                    }
                    return received
                }
                var result = ByteBuffer()
                for try await value in group { if let value { result = value } }
                return result
            }
        }
        #expect(received == sent)
        try await fixture.shutdown()
    }

    @Test func localEOFKeepsTheAnswerThenTheStreamEnds() async throws {
        // The grace only has to outlast the echo's round trip, which a loaded machine can stretch.
        let fixture = try await Fixture.start(localEOFGrace: .seconds(3))
        let stream = try await fixture.dialer.dial(PortForwardTarget(namespace: "default", pod: "echo-pod", port: 80))
        let received = try await stream.executeThenClose { inbound, outbound in
            try await outbound.write(ByteBuffer(string: "ping\n"))
            outbound.finish()  // local EOF: the echo must still come back
            var received = ByteBuffer()
            for try await var chunk in inbound { received.writeBuffer(&chunk) }
            return received
        }
        #expect(String(buffer: received) == "ping\n")
        try await fixture.shutdown()
    }

    @Test func kubeletErrorIsSurfacedWithPodAndPort() async throws {
        let fixture = try await Fixture.start()
        let stream = try await fixture.dialer.dial(PortForwardTarget(namespace: "default", pod: "echo-pod", port: 81))
        let error = await #expect(throws: PortForwardError.self) {
            try await stream.executeThenClose { inbound, _ in
                for try await _ in inbound {}
            }
        }
        guard case .remoteError(let pod, let port, let message) = error else {
            Issue.record("expected remoteError, got \(String(describing: error))")
            return
        }
        #expect(pod == "echo-pod" && port == 81)
        #expect(message.hasPrefix("error forwarding port 81 to pod echo-pod, uid uid-1:"))
        try await fixture.shutdown()
    }

    @Test func forbiddenIsSurfacedWithTheStatusMessage() async throws {
        let fixture = try await Fixture.start()
        let error = await #expect(throws: PortForwardError.self) {
            _ = try await fixture.dialer.dial(PortForwardTarget(namespace: "default", pod: "secret-pod", port: 80))
        }
        guard case .upgradeRejected(let code, let status, let message) = error else {
            Issue.record("expected upgradeRejected, got \(String(describing: error))")
            return
        }
        #expect(code == 403)
        #expect(status?.reason == "Forbidden")
        #expect(message == #"pods "secret-pod" is forbidden: User "readonly" cannot get resource "pods/portforward" in API group "" in the namespace "default""#)
        try await fixture.shutdown()
    }

    @Test func missingPodIsA404() async throws {
        let fixture = try await Fixture.start()
        let error = await #expect(throws: PortForwardError.self) {
            _ = try await fixture.dialer.dial(PortForwardTarget(namespace: "default", pod: "nope", port: 80))
        }
        guard case .upgradeRejected(404, _, let message) = error else {
            Issue.record("expected a 404 rejection, got \(String(describing: error))")
            return
        }
        #expect(message == #"pods "nope" not found"#)
        try await fixture.shutdown()
    }

    @Test func connectFailureIsTyped() async throws {
        // Bind then close a port so that nothing listens there.
        let probe = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
        let port = probe.localAddress!.port!
        try await probe.close()
        let dialer = try PortForwardDialer(server: "http://127.0.0.1:\(port)", logger: Logger(label: "test"))
        let error = await #expect(throws: PortForwardError.self) {
            _ = try await dialer.dial(PortForwardTarget(namespace: "default", pod: "echo-pod", port: 80))
        }
        // Connection refused: the server may be restarting, so it is `unreachable`, not a TLS or proxy refusal.
        guard case .unreachable(let host, let failedPort, _) = error else {
            Issue.record("expected unreachable, got \(String(describing: error))")
            return
        }
        #expect(host == "127.0.0.1" && failedPort == port)
    }

    @Test func registryCountsAndClosesStreams() async throws {
        let fixture = try await Fixture.start()
        let stream = try await fixture.dialer.dial(PortForwardTarget(namespace: "default", pod: "echo-pod", port: 80))
        // The server registers the session on its own event loop, a moment after the client has its
        // port prefixes; the registry has no event to await, so poll it with a deadline.
        let deadline = ContinuousClock.now + .seconds(10)
        while fixture.server.registry.openSessions != 1 && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(5))
        }
        #expect(fixture.server.registry.openSessions == 1)
        fixture.server.registry.closeAll(podUID: "uid-1")
        let ended = try await stream.executeThenClose { inbound, _ in
            for try await _ in inbound {}
            return true
        }
        #expect(ended)
        try await fixture.shutdown()
    }

    @Test func badServerURLIsRejected() {
        #expect(throws: PortForwardError.serverURLInvalid("ftp://x")) {
            _ = try PortForwardDialer(server: "ftp://x", logger: Logger(label: "test"))
        }
    }
}
