import FakeKube
import Foundation
import KubeAPI
import KubePortForward
import Logging
import NIOCore
import NIOPosix
import Testing

// Port-forward streams through the kubeconfig's HTTP CONNECT proxy, as REST requests and watches already go.
@Suite(.timeLimit(.minutes(1)))
struct PortForwardDialerProxyTests {
    private static let basicUP = "Basic " + Data("u:p".utf8).base64EncodedString()

    private static func echoServer() async throws -> (server: PortForwardLoopbackServer, echo: LoopbackEchoServer) {
        let echo = try await LoopbackEchoServer.start()
        let address = echo.address
        let pod = PortForwardPod(namespace: "default", name: "echo-pod", uid: "uid-1") { $0 == 80 ? address : nil }
        return (try await PortForwardLoopbackServer.start(pods: [pod]), echo)
    }

    @Test func everyStreamGoesThroughTheProxyWithItsCredentials() async throws {
        let (server, echo) = try await Self.echoServer()
        let proxy = try await FakeConnectProxy(requiredAuthorization: Self.basicUP)
        let dialer = try PortForwardDialer(
            server: server.url, headers: { [("Authorization", "Bearer s3cr3t")] },
            proxy: ProxySettings(host: "127.0.0.1", port: proxy.port, username: "u", password: "p"), logger: Logger(label: "test"))
        for round in 1...3 {
            #expect(try await dialer.echoOnce("round \(round)") == "round \(round)")
        }
        #expect(proxy.tunnelsOpened == 3)
        let head = try #require(proxy.connectRequests.first)
        #expect(head.hasPrefix("CONNECT 127.0.0.1:\(server.port) HTTP/1.1\r\n"))
        // The API server's credentials go inside the tunnel, never to the proxy.
        #expect(!head.contains("s3cr3t"))
        try await proxy.close()
        try await server.shutdown()
        try await echo.shutdown()
    }

    @Test func aProxyThatRefusesTheCredentialsIsAConnectFailureNamingIt() async throws {
        let (server, echo) = try await Self.echoServer()
        let proxy = try await FakeConnectProxy(requiredAuthorization: Self.basicUP)
        let dialer = try PortForwardDialer(
            server: server.url, proxy: ProxySettings(host: "127.0.0.1", port: proxy.port, username: "u", password: "wrong"),
            logger: Logger(label: "test"))
        let error = await #expect(throws: PortForwardError.self) { _ = try await dialer.echoOnce("x") }
        guard case .connectFailed(let host, let port, let reason) = error else {
            Issue.record("expected connectFailed, got \(String(describing: error))")
            return
        }
        #expect(host == "127.0.0.1" && port == server.port)
        #expect(reason.contains("the HTTP proxy 127.0.0.1:\(proxy.port)") && reason.contains("407"), "\(reason)")
        #expect(proxy.tunnelsOpened == 0)
        try await proxy.close()
        try await server.shutdown()
        try await echo.shutdown()
    }

    @Test func aProxyThatAnswersWithAnErrorStatusIsNamed() async throws {
        // The proxy cannot reach the target (nothing listens there): 502.
        let probe = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
        let closedPort = try #require(probe.localAddress?.port)
        try await probe.close()
        let proxy = try await FakeConnectProxy()
        let dialer = try PortForwardDialer(
            server: "http://127.0.0.1:\(closedPort)", proxy: ProxySettings(host: "127.0.0.1", port: proxy.port), logger: Logger(label: "test"))
        let error = await #expect(throws: PortForwardError.self) { _ = try await dialer.echoOnce("x") }
        #expect("\(String(describing: error))".contains("did not open a tunnel: it answered 502 Bad Gateway"), "\(String(describing: error))")
        try await proxy.close()
    }

    @Test func anUnreachableProxyIsAConnectFailureNamingIt() async throws {
        let probe = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
        let closedPort = try #require(probe.localAddress?.port)
        try await probe.close()
        let dialer = try PortForwardDialer(
            server: "https://10.9.8.7:6443", proxy: ProxySettings(host: "127.0.0.1", port: closedPort), logger: Logger(label: "test"))
        let error = await #expect(throws: PortForwardError.self) { _ = try await dialer.echoOnce("x") }
        // Nothing listens where the proxy should: waiting may fix that.
        guard case .unreachable(let host, let port, let reason) = error else {
            Issue.record("expected unreachable, got \(String(describing: error))")
            return
        }
        #expect(host == "10.9.8.7" && port == 6443)
        #expect(reason.hasPrefix("cannot reach the HTTP proxy 127.0.0.1:\(closedPort):"), "\(reason)")
    }
}
