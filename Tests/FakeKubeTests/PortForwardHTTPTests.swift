import FakeKube
import NIOCore
import NIOPosix
import Testing

// The HTTP side of `configureFakeKubeHTTP`: what reaches the API handler, what admission refuses.
@Suite(.timeLimit(.minutes(1)))
struct PortForwardHTTPTests {
    /// Writes raw request bytes and reads until the server closes.
    private func exchange(port: Int, _ request: String) async throws -> String {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            try await outbound.write(ByteBuffer(string: request))
            var received = ByteBuffer()
            for try await var chunk in inbound { received.writeBuffer(&chunk) }
            return String(buffer: received)
        }
    }

    @Test func nonUpgradeRequestsReachTheAPIHandlerWithKeepAlive() async throws {
        let fixture = try await EchoPodFixture.start()
        let response = try await exchange(
            port: fixture.server.port,
            "GET /api HTTP/1.1\r\nHost: x\r\n\r\n"
                + "GET /api/v1/namespaces/default/pods/echo-pod/portforward HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        let first = try #require(response.range(of: "HTTP/1.1 200 OK"))
        let second = try #require(response.range(of: "HTTP/1.1 400 Bad Request"))
        #expect(first.lowerBound < second.lowerBound)
        #expect(response.contains(#""kind":"APIVersions""#))
        #expect(response.contains("Upgrade request required"))
        try await fixture.shutdown()
    }

    @Test func admissionRefusalIsWrittenAsIsAndTheConnectionCloses() async throws {
        let fixture = try await EchoPodFixture.start()
        let response = try await exchange(
            port: fixture.server.port,
            "POST /api/v1/namespaces/default/pods/secret-pod/portforward HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n"
                + "Connection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: portforward.k8s.io\r\n\r\n"
        )
        #expect(response.hasPrefix("HTTP/1.1 403 Forbidden"))
        #expect(response.contains(#"cannot create resource \"pods/portforward\""#))
        #expect(fixture.server.registry.openSessions == 0)
        try await fixture.shutdown()
    }

    @Test func v4WithoutPortsIsABadRequestBeforeAnyUpgrade() async throws {
        let fixture = try await EchoPodFixture.start()
        let response = try await exchange(
            port: fixture.server.port,
            "GET /api/v1/namespaces/default/pods/echo-pod/portforward HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\n"
                + "Upgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                + "Sec-WebSocket-Protocol: v4.channel.k8s.io\r\n\r\n"
        )
        #expect(response.hasPrefix("HTTP/1.1 400 Bad Request"))
        #expect(response.contains(#"query parameter \"ports\" is required"#))
        try await fixture.shutdown()
    }

    @Test func v4UpgradeSendsPortPrefixesFirst() async throws {
        let fixture = try await EchoPodFixture.start()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: fixture.server.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        let (head, frames) = try await channel.executeThenClose { inbound, outbound in
            try await outbound.write(
                ByteBuffer(
                    string: "GET /api/v1/namespaces/default/pods/echo-pod/portforward?ports=80 HTTP/1.1\r\nHost: x\r\n"
                        + "Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                        + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: v4.channel.k8s.io\r\n\r\n"
                )
            )
            var received = ByteBuffer()
            for try await var chunk in inbound {
                received.writeBuffer(&chunk)
                let view = received.readableBytesView
                if let end = view.firstRange(of: Array("\r\n\r\n".utf8)), view[end.upperBound...].count >= 10 {
                    return (String(decoding: view[..<end.lowerBound], as: UTF8.self), Array(view[end.upperBound...].prefix(10)))
                }
            }
            return ("", [])
        }
        #expect(head.hasPrefix("HTTP/1.1 101 Switching Protocols"))
        #expect(head.contains("Sec-WebSocket-Protocol: v4.channel.k8s.io"))
        #expect(head.contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo="))
        // Two unmasked binary frames of 3 bytes: [0, 80, 0] on channel 0 and [1, 80, 0] on channel 1.
        #expect(frames == [0x82, 0x03, 0x00, 0x50, 0x00, 0x82, 0x03, 0x01, 0x50, 0x00])
        try await fixture.shutdown()
    }
}
