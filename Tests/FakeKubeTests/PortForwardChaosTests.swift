import FakeKube
import Logging
import NIOCore
import NIOEmbedded
import NIOHTTP1
import NIOPosix
import SPDY
import Testing

@testable import FakeKube

// The chaos of the path to the kubelet (docs/fake-kube.md): a proxy without WebSockets, a load balancer's
// idle cut, sessions that stop answering PINGs, and a long round trip on every API connection.
@Suite(.timeLimit(.minutes(1)))
struct PortForwardChaosTests {
    private static let tunnelRequest =
        "GET /api/v1/namespaces/default/pods/echo-pod/portforward HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\n"
        + "Upgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        + "Sec-WebSocket-Protocol: SPDY/3.1+portforward.k8s.io\r\n\r\n"
    private static let v4Request =
        "GET /api/v1/namespaces/default/pods/echo-pod/portforward?ports=80 HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\n"
        + "Upgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        + "Sec-WebSocket-Protocol: v4.channel.k8s.io\r\n\r\n"
    private static let spdyRequest =
        "POST /api/v1/namespaces/default/pods/echo-pod/portforward HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n"
        + "Connection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: portforward.k8s.io\r\n\r\n"

    /// A SPDY/3 PING control frame with this id, as raw bytes.
    private static func ping(_ id: UInt32) -> ByteBuffer {
        var buffer = ByteBuffer(bytes: [0x80, 0x03, 0x00, 0x06, 0x00, 0x00, 0x00, 0x04])
        buffer.writeInteger(id)
        return buffer
    }

    /// Sends `request`, then hands the answer's head and the open connection to `body`.
    private func upgrade<T: Sendable>(
        port: Int, _ request: String,
        _ body: (String, NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator, NIOAsyncChannelOutboundWriter<ByteBuffer>) async throws -> T
    ) async throws -> T {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel) }
            }
        return try await channel.executeThenClose { inbound, outbound in
            try await outbound.write(ByteBuffer(string: request))
            var iterator = inbound.makeAsyncIterator()
            var received = ByteBuffer()
            while received.readableBytesView.firstRange(of: Array("\r\n\r\n".utf8)) == nil {
                guard var chunk = try await iterator.next() else { break }
                received.writeBuffer(&chunk)
            }
            return try await body(String(buffer: received), iterator, outbound)
        }
    }

    @Test func aProxyWithoutWebSocketsRefusesBothWebSocketUpgradesButNotTheSPDYPost() async throws {
        let fixture = try await EchoPodFixture.start()
        fixture.server.registry.chaos.refuseWebSockets = true
        for request in [Self.tunnelRequest, Self.v4Request] {
            let head = try await upgrade(port: fixture.server.port, request) { head, _, _ in head }
            #expect(head.hasPrefix("HTTP/1.1 400 Bad Request"))
            #expect(head.contains("Connection: close"))
        }
        let spdy = try await upgrade(port: fixture.server.port, Self.spdyRequest) { head, _, _ in head }
        #expect(spdy.hasPrefix("HTTP/1.1 101 Switching Protocols"))

        fixture.server.registry.chaos.refuseWebSockets = false
        let tunnel = try await upgrade(port: fixture.server.port, Self.tunnelRequest) { head, _, _ in head }
        #expect(tunnel.hasPrefix("HTTP/1.1 101 Switching Protocols"))
        try await fixture.shutdown()
    }

    @Test func anIdleSessionIsCutAndTrafficKeepsItOpen() async throws {
        let fixture = try await EchoPodFixture.start()
        let cut = Duration.milliseconds(600)
        fixture.server.registry.chaos.idleCut = cut
        let (busyFor, idleFor) = try await upgrade(port: fixture.server.port, Self.spdyRequest) { head, iterator, outbound in
            #expect(head.hasPrefix("HTTP/1.1 101"))
            var iterator = iterator
            // A PING every 200 ms for three idle periods: each echo is traffic, so the session stays.
            let start = ContinuousClock.now
            var echoes = 0
            for id in stride(from: UInt32(1), through: 15, by: 2) {
                try await outbound.write(Self.ping(id))
                guard let echo = try await iterator.next() else { break }
                #expect(echo == Self.ping(id))
                echoes += 1
                try await Task.sleep(for: .milliseconds(200))  // the traffic pattern under test, not synchronisation
            }
            #expect(echoes == 8)
            let busyFor = ContinuousClock.now - start
            // Silence: the cut closes the connection (the iterator ends) after the idle period.
            let quiet = ContinuousClock.now
            while try await iterator.next() != nil {}
            return (busyFor, ContinuousClock.now - quiet)
        }
        #expect(busyFor > cut * 2)
        #expect(idleFor >= cut - .milliseconds(250), "closed after \(idleFor); the last echo was 200 ms before the quiet began")
        try await fixture.shutdown()
    }

    @Test func sessionsStopAnsweringPingsAndStartAgain() throws {
        let registry = PortForwardRegistry()
        let pod = PortForwardPod(namespace: "ns", name: "web", uid: "u-1") { _ in nil }
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(SPDYSessionHandler(pod: pod, registry: registry, logger: Logger(label: "test")))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()

        registry.chaos.ignorePings = true
        try channel.writeInbound(SPDYFrame.ping(id: 1))
        #expect(try channel.readOutbound(as: SPDYFrame.self) == nil)
        #expect(channel.isActive, "the session stays open: it only stops answering")
        registry.chaos.ignorePings = false
        try channel.writeInbound(SPDYFrame.ping(id: 3))
        #expect(try channel.readOutbound(as: SPDYFrame.self) == .ping(id: 3))
    }

    @Test func aRoundTripIsAddedToEveryExchangeOfAnAPIConnection() async throws {
        try await withServer { server in
            let client = TestHTTPClient(server: server)
            let roundTrip = Duration.milliseconds(150)
            let set = try await client.request(.POST, "/fake/v1/chaos/round-trip?milliseconds=150")
            #expect(set.status == .ok)
            // A new connection: the TLS handshake (one round trip, the client certificate in the second
            // flight) and the request (another) each pay it; TLS would fail on any reordered byte.
            let start = ContinuousClock.now
            let version = try await client.request(.GET, "/version")
            #expect(version.status == .ok)
            #expect(ContinuousClock.now - start >= roundTrip * 2)
            // Pipelined requests on one connection come back whole and in order.
            let answers = try await client.pipelined(["/version", "/api", "/version"])
            #expect(answers.map(\.status) == [.ok, .ok, .ok])
            #expect(answers[1].json?["kind"] == "APIVersions")

            let missing = try await client.request(.POST, "/fake/v1/chaos/round-trip").status
            #expect(missing == .badRequest)
            server.setRoundTrip(.zero)
        }
    }

    @Test func chaosSwitchesAreSetThroughTheFakeAPI() async throws {
        try await withServer { server in
            let client = TestHTTPClient(server: server)
            let readonly = TestHTTPClient(server: server, credential: .token(server.readonlyToken))
            var statuses: [HTTPResponseStatus] = []
            for path in ["refuse-websockets?enabled=true", "ignore-pings?enabled=true", "idle-cut?seconds=2.5"] {
                statuses.append(try await client.request(.POST, "/fake/v1/chaos/\(path)").status)
            }
            let chaos = server.portForwardRegistry.chaos
            #expect(chaos.refuseWebSockets && chaos.ignorePings && chaos.idleCut == .milliseconds(2500))
            for path in ["refuse-websockets?enabled=false", "ignore-pings?enabled=false", "idle-cut?seconds=0"] {
                statuses.append(try await client.request(.POST, "/fake/v1/chaos/\(path)").status)
            }
            #expect(!chaos.refuseWebSockets && !chaos.ignorePings && chaos.idleCut == nil)
            #expect(statuses == Array(repeating: .ok, count: 6))
            let missing = try await client.request(.POST, "/fake/v1/chaos/ignore-pings").status
            #expect(missing == .badRequest)
            let forbidden = try await readonly.request(.POST, "/fake/v1/chaos/idle-cut?seconds=1").status
            #expect(forbidden == .forbidden)
        }
    }
}
