import NIOHTTP1
import Testing

@testable import FakeKube

@Suite struct PortForwardDispatchTests {
    private let path = "/api/v1/namespaces/default/pods/echo-pod/portforward"

    private func head(_ uri: String, method: HTTPMethod = .GET, _ headers: [(String, String)]) -> HTTPRequestHead {
        HTTPRequestHead(version: .http1_1, method: method, uri: uri, headers: HTTPHeaders(headers))
    }

    private var websocket: [(String, String)] {
        [("Connection", "Upgrade"), ("Upgrade", "websocket"), ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="), ("Sec-WebSocket-Version", "13")]
    }

    @Test func portForwardPathsAreRecognised() {
        #expect(PortForwardDispatch.isPortForwardPath(path))
        #expect(PortForwardDispatch.isPortForwardPath(path + "?ports=80"))
        #expect(!PortForwardDispatch.isPortForwardPath("/api/v1/namespaces/default/pods/echo-pod"))
        #expect(!PortForwardDispatch.isPortForwardPath("/api/v1/namespaces/default/pods/echo-pod/exec"))
    }

    @Test func v4GetsItsPortsFromRepeatedAndCommaSeparatedQueries() {
        let request = head(path + "?&ports=80%2C8080&ports=9090", websocket + [("Sec-WebSocket-Protocol", "v5.channel.k8s.io, v4.channel.k8s.io")])
        #expect(
            PortForwardDispatch.decide(request)
                == .upgrade(.webSocketV4(key: "dGhlIHNhbXBsZSBub25jZQ==", subprotocol: "v4.channel.k8s.io", ports: [80, 8080, 9090]))
        )
    }

    @Test func v4WithoutPortsOrWithABadPortIsABadRequest() {
        let offered = websocket + [("Sec-WebSocket-Protocol", "v4.channel.k8s.io")]
        guard case .reject(.badRequest, let message, _) = PortForwardDispatch.decide(head(path, offered)) else {
            Issue.record("expected 400")
            return
        }
        #expect(message.contains("ports"))
        guard case .reject(.badRequest, _, _) = PortForwardDispatch.decide(head(path + "?ports=70000", offered)) else {
            Issue.record("expected 400 for port 70000")
            return
        }
    }

    @Test func tunnelIsChosenForTheSPDYSubprotocol() {
        let request = head(path, websocket + [("Sec-WebSocket-Protocol", "SPDY/3.1+portforward.k8s.io")])
        #expect(PortForwardDispatch.decide(request) == .upgrade(.spdyOverWebSocket(key: "dGhlIHNhbXBsZSBub25jZQ==")))
    }

    @Test func spdyNeedsThePortForwardStreamProtocol() {
        let good = head(path, method: .POST, [("Connection", "Upgrade"), ("Upgrade", "SPDY/3.1"), ("X-Stream-Protocol-Version", "portforward.k8s.io")])
        #expect(PortForwardDispatch.decide(good) == .upgrade(.spdy))
        let bad = head(path, method: .POST, [("Connection", "Upgrade"), ("Upgrade", "SPDY/3.1"), ("X-Stream-Protocol-Version", "v4.channel.k8s.io")])
        guard case .reject(.forbidden, _, let extra) = PortForwardDispatch.decide(bad) else {
            Issue.record("expected 403")
            return
        }
        #expect(extra.contains { $0.0 == "X-Accepted-Stream-Protocol-Versions" && $0.1 == "portforward.k8s.io" })
    }

    @Test func requestsWithoutUpgradeAreLeftToTheAPIHandler() {
        #expect(PortForwardDispatch.decide(head(path, [])) == .notPortForwardUpgrade)
    }

    @Test func webSocketAcceptMatchesRFC6455() {
        #expect(PortForwardHTTPHandler.webSocketAccept("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
    }
}
