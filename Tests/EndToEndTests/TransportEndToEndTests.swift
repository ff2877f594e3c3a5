import BerthManifest
import BerthTestSupport
import FakeKube
import Foundation
import NIOCore
import NIOPosix
import Testing

@testable import BerthDaemon

/// `transport:` against FakeKube: auto's fallback and refusals, the per-cluster memory, sessions that stop
/// answering PINGs, and keepalive against a load balancer's idle cut (docs/port-forward.md).
@Suite(.serialized, .timeLimit(.minutes(1)))
struct TransportEndToEndTests {
    static let lone = UpstreamEndpoint(namespace: "default", podName: "lone", podUID: "uid-lone", port: 7000)

    /// A negotiating connector for `forward` of the kubeconfig's cluster, with the registry it uses.
    private static func withConnector<T: Sendable>(
        kubeconfig: String, choice: TransportChoice, sessions: SessionSettings = SessionSettings(),
        _ body: (NegotiatingUpstreamConnector, ClusterRegistry) async throws -> T
    ) async throws -> T {
        let clusters = ClusterRegistry(kubeconfig: kubeconfig, context: nil, environment: [:], sessions: sessions, logger: Harness.quiet)
        do {
            let cluster = try await clusters.cluster(context: nil)
            let v4 = PortForwardUpstreamConnector(forward: "t", connection: cluster.connectionInfo, logger: Harness.quiet)
            let connector = NegotiatingUpstreamConnector(
                forward: "t", cluster: cluster.id, choice: choice, v4: v4, sessions: clusters.sessions,
                memory: clusters.transports, logger: Harness.quiet)
            let result = try await body(connector, clusters)
            await clusters.shutdown()
            return result
        } catch {
            await clusters.shutdown()
            throw error
        }
    }

    /// Sends `request` on a stream and reads until the pod closes it.
    private static func exchange(_ stream: UpstreamStream, _ request: String) async throws -> String {
        let channel = stream.channel
        let collected = channel.eventLoop.makePromise(of: String.self)
        try await channel.eventLoop.submit {
            // The stand-by handler keeps what arrived before the pump; the collector stands in for the pump.
            try channel.pipeline.syncOperations.addHandler(Collector(promise: collected))
            _ = channel.standbyHandler?.handOff()
            try channel.syncOptions?.setOption(ChannelOptions.autoRead, value: true)
            channel.read()
        }.get()
        try await channel.writeAndFlush(ByteBuffer(string: request))
        return try await collected.futureResult.get()
    }

    @Test func behindAProxyWithoutWebSocketsAutoFallsBackToTheSPDYUpgradeAndRemembersIt() async throws {
        try await Harness.with { harness in
            harness.server.setRefuseWebSockets(true)
            harness.server.resetStats()
            try await Self.withConnector(kubeconfig: harness.kubeconfig, choice: .auto) { connector, clusters in
                let loop = MultiThreadedEventLoopGroup.singleton.next()
                let stream = try await connector.connect(to: Self.lone, on: loop)
                #expect(stream.supportsHalfClose, "a SPDY stream, not a v4 WebSocket")
                #expect(stream.channel.eventLoop === loop)
                #expect(clusters.transports.transport(for: "admin") == .spdy)
                // The refused tunnel never reached the API server; one upgrade, one session.
                #expect(harness.server.stats().count(verb: "portforward") == 1)
                #expect(harness.server.stats().openPortForwardSessions == 1)
                // A second stream to the same pod on the same loop rides the same session.
                let second = try await connector.connect(to: Self.lone, on: loop)
                #expect(harness.server.stats().count(verb: "portforward") == 1)
                #expect(clusters.sessions.usage(cluster: "admin", podUID: "uid-lone") == SessionUsage(sessions: 1, streams: 2))
                try await stream.channel.close()
                try await second.channel.close()
            }
        }
    }

    @Test(arguments: [
        (FakeKubeServer.User.readonly, "lone", "Forbidden"),
        (FakeKubeServer.User.admin, "nobody", "NotFound"),
    ])
    func aRefusalIsReportedAtOnceAndNeverRetriedDownTheList(user: FakeKubeServer.User, pod: String, reason: String) async throws {
        try await Harness.with { harness in
            let kubeconfig = harness.directory.appendingPathComponent("kubeconfig-\(user.rawValue)").path
            try harness.server.writeKubeconfig(to: kubeconfig, user: user)
            harness.server.resetStats()
            try await Self.withConnector(kubeconfig: kubeconfig, choice: .auto) { connector, clusters in
                let target = UpstreamEndpoint(namespace: "default", podName: pod, podUID: "", port: 7000)
                await #expect {
                    _ = try await connector.connect(to: target, on: MultiThreadedEventLoopGroup.singleton.next())
                } throws: { error in
                    guard case BerthDaemonError.upstreamRefused(_, _, let refused, _) = error else { return false }
                    return refused.rawValue == reason
                }
                #expect(harness.server.stats().count(verb: "portforward") == 1, "only the tunnel was tried")
                #expect(clusters.transports.transport(for: user.rawValue) == nil)
            }
        }
    }

    @Test func theLiveViewShowsTransportSessionsAndConnectionsAsBerthStatusDoes() async throws {
        try await Harness.with { harness in
            try harness.writeManifest("""
                apiVersion: berth/v1
                kind: Forwards
                forwards:
                  - {name: lone, pod: lone, ports: [{local: 0, remote: 7000}]}
                """)
            try await harness.withDaemon { daemon in
                let ready = try await awaitStatus(daemon, "lone Ready") { $0.isPhase("lone", .ready) }
                _ = try await TestHTTP.get(port: try #require(ready.port("lone")))
                // A connection and the session's streams change no phase: only the refresh shows them.
                let views = daemon.liveStatusChanges(refresh: .milliseconds(50))
                let live = try await withThrowingTaskGroup(of: DaemonStatus?.self) { group in
                    group.addTask {
                        for await status in views {
                            if let lone = status["lone"], lone.connections.total == 1, (lone.sessions?.streams ?? 0) > 0 { return status }
                        }
                        return nil
                    }
                    group.addTask {
                        try await Task.sleep(for: .seconds(20))
                        return nil
                    }
                    defer { group.cancelAll() }
                    return try #require(try await group.next() ?? nil, "the live view shows the session and the connection")
                }
                #expect(live["lone"]?.transport == "websocket-spdy")
                #expect(live["lone"]?.sessions?.sessions == 1)
                let table = StatusTable.render(live)
                #expect(table.contains("websocket-spdy") && table.contains("1/"), "the table the live view draws has them")
            }
        }
    }

    @Test func statusShowsTheNegotiatedTransportAndTheSessionsOfEachForward() async throws {
        try await Harness.with { harness in
            harness.server.setRefuseWebSockets(true)
            try harness.writeManifest("""
                apiVersion: berth/v1
                kind: Forwards
                forwards:
                  - {name: lone, pod: lone, ports: [{local: 0, remote: 7000}], warm: 2}
                  - {name: pinned, pod: lone, ports: [{local: 0, remote: 7000}], transport: websocket}
                """)
            try await harness.withDaemon { daemon in
                // The pinned forward is Ready only until its first warm stream meets the proxy's 400 (then
                // Rebinding, and Failed after the grace): waiting for both Ready at once lost that race under load.
                let ready = try await awaitStatus(daemon, "lone Ready, pinned refused by the proxy") {
                    $0.isPhase("lone", .ready) && [.rebinding, .failed].contains($0["pinned"]?.phase)
                        && $0["pinned"]?.message?.contains("HTTP 400") == true
                }
                let answer = try await TestHTTP.get(port: try #require(ready.port("lone")))
                #expect(answer.contains(#""pod":"lone""#))
                // The pinned forward cannot pass that proxy; once it is gone, it works as it is.
                harness.server.setRefuseWebSockets(false)
                let pinned = try await TestHTTP.get(port: try #require(ready.port("pinned")))
                #expect(pinned.contains(#""pod":"lone""#))
                try await eventually("two warm streams in the session") {
                    await daemon.status()["lone"]?.sessions?.streams == 2
                }
                let status = await daemon.status()
                #expect(status["lone"]?.transport == "spdy")
                #expect(status["lone"]?.sessions?.sessions == 1)
                #expect(status["pinned"]?.transport == "websocket")
                #expect(status["pinned"]?.sessions != nil, "the shape of every running forward's status is the same")
                let json = String(decoding: try JSONEncoder().encode(status), as: UTF8.self)
                #expect(json.contains(#""transport":"spdy""#))
            }
        }
    }

    @Test func everyForwardToAPodSharesOneSessionWhicheverLoopServesIt() async throws {
        // The daemon's group has a loop per core; forwards that were spread over them round-robin opened a
        // session to the pod per loop, so the API server carried loops × pods connections.
        #expect(Array(MultiThreadedEventLoopGroup.singleton.makeIterator()).count > 1, "this test needs two loops")
        try await Harness.with { harness in
            try harness.writeManifest("""
                apiVersion: berth/v1
                kind: Forwards
                forwards:
                  - {name: a, pod: lone, ports: [{local: 0, remote: 7000}], transport: spdy, warm: 1}
                  - {name: b, pod: lone, ports: [{local: 0, remote: 7000}], transport: spdy, warm: 1}
                  - {name: c, pod: lone, ports: [{local: 0, remote: 7000}], transport: spdy, warm: 1}
                  - {name: d, pod: lone, ports: [{local: 0, remote: 7000}], transport: spdy, warm: 1}
                """)
            try await harness.withDaemon { daemon in
                let names = ["a", "b", "c", "d"]
                try await awaitStatus(daemon, "four forwards Ready") { status in names.allSatisfy { status.isPhase($0, .ready) } }
                try await eventually("each forward's warm stream open") { await daemon.status()["a"]?.sessions?.streams == 4 }
                let warm = await daemon.status()
                for name in names {
                    #expect(warm[name]?.sessions?.sessions == 1, "\(name) shares the one session to the pod")
                }
                #expect(harness.server.stats().openPortForwardSessions == 1)
                for name in names {
                    let answer = try await TestHTTP.get(port: try #require(warm.port(name)))
                    #expect(answer.contains(#""pod":"lone""#))
                }
                #expect(harness.server.stats().totalPortForwardSessions == 1)
            }
        }
    }

    @Test func aPinnedTransportNeverFallsBack() async throws {
        try await Harness.with { harness in
            harness.server.setRefuseWebSockets(true)
            try await Self.withConnector(kubeconfig: harness.kubeconfig, choice: .websocketSPDY) { connector, _ in
                await #expect(throws: BerthDaemonError.self) {
                    _ = try await connector.connect(to: Self.lone, on: MultiThreadedEventLoopGroup.singleton.next())
                }
                #expect(harness.server.stats().openPortForwardSessions == 0)
            }
        }
    }

    @Test func aSessionWhosePingsStopIsReplacedAndNewConnectionsStillSucceed() async throws {
        try await Harness.with { harness in
            let settings = SessionSettings(pingInterval: .milliseconds(200))
            try await Self.withConnector(kubeconfig: harness.kubeconfig, choice: .spdy, sessions: settings) { connector, clusters in
                let loop = MultiThreadedEventLoopGroup.singleton.next()
                let open = try await connector.connect(to: Self.lone, on: loop)
                harness.server.setIgnorePings(true)
                // The dead session's streams close with it: an event to wait for.
                try await open.channel.closeFuture.get()
                #expect(clusters.sessions.sessionCount == 0)
                harness.server.setIgnorePings(false)
                let fresh = try await connector.connect(to: Self.lone, on: loop)
                let answer = try await Self.exchange(fresh, "GET / HTTP/1.1\r\nHost: lone\r\nConnection: close\r\n\r\n")
                #expect(answer.contains(#""pod":"lone""#), "\(answer)")
                #expect(clusters.sessions.sessionCount == 1)
            }
        }
    }

    @Test(arguments: [TransportChoice.spdy, .websocket])
    func keepaliveCarriesAnIdleConnectionPastTheIdleCut(choice: TransportChoice) async throws {
        try await Harness.with { harness in
            // Pings four times within the cut, so a late one under load still keeps the session open.
            let cut = Duration.seconds(1)
            harness.server.setPortForwardIdleCut(cut)
            let settings = SessionSettings(pingInterval: .milliseconds(250))
            try await Self.withConnector(kubeconfig: harness.kubeconfig, choice: choice, sessions: settings) { connector, _ in
                let stream = try await connector.connect(to: Self.lone, on: MultiThreadedEventLoopGroup.singleton.next())
                if choice == .websocket {
                    // v4 has no keepalive: the load balancer cuts it once it has been idle for the cut.
                    let opened = ContinuousClock.now
                    try await eventually("the idle cut closes the v4 stream", within: 10) { !stream.channel.isActive }
                    #expect(ContinuousClock.now - opened >= cut / 2, "closed for being idle, not at once")
                } else {
                    // The scenario is an idle connection: nothing to await but time passing.
                    try await Task.sleep(for: cut + .milliseconds(500))
                    let answer = try await Self.exchange(stream, "GET / HTTP/1.1\r\nHost: lone\r\nConnection: close\r\n\r\n")
                    #expect(answer.contains(#""pod":"lone""#), "\(answer)")
                }
            }
        }
    }
}

/// Collects a stream's bytes until it ends (the remote's FIN or a close).
private final class Collector: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    private let promise: EventLoopPromise<String>
    private var text = ""

    init(promise: EventLoopPromise<String>) { self.promise = promise }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        text += String(buffer: unwrapInboundIn(data))
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case ChannelEvent.inputClosed = event { promise.succeed(text) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        promise.succeed(text)
    }
}
