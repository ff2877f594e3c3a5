import BerthMetrics
import BerthTestSupport
import NIOCore
import NIOPosix
import Testing

@testable import BerthDaemon

/// The metrics berth records where things happen (docs/metrics.md), read back from the Prometheus text a
/// daemon's registry renders.
@Suite struct MetricsTests {
    static let phases = ForwardPhase.allCases.map(\.rawValue)
    static let kinds = ForwardErrorKind.allCases.map(\.rawValue)

    @Test func thePhaseIsOneHotAndLeavesWithTheForward() {
        let metrics = BerthMetrics()
        metrics.setPhase(of: "web", to: "Pending", among: Self.phases)
        metrics.setPhase(of: "web", to: "Ready", among: Self.phases)
        metrics.setPhase(of: "db", to: "Rebinding", among: Self.phases)
        var samples = PrometheusSamples(metrics.exposition())
        for phase in Self.phases {
            #expect(samples.value(MetricName.forwardPhase, ["forward": "web", "phase": phase]) == (phase == "Ready" ? 1 : 0))
            #expect(samples.value(MetricName.forwardPhase, ["forward": "db", "phase": phase]) == (phase == "Rebinding" ? 1 : 0))
        }
        metrics.removePhase(of: "web", among: Self.phases)
        samples = PrometheusSamples(metrics.exposition())
        #expect(samples.samples(MetricName.forwardPhase, ["forward": "web"]).isEmpty)
        #expect(samples.value(MetricName.forwardPhase, ["forward": "db", "phase": "Rebinding"]) == 1)
        // Another daemon's registry is its own.
        #expect(PrometheusSamples(BerthMetrics().exposition()).samples(MetricName.forwardPhase).isEmpty)
    }

    @Test func connectionsBytesAndStreamOpensAreCountedAsTheyHappen() async throws {
        let metrics = BerthMetrics()
        let server = try await TestServer.start(.echo(greeting: nil))
        let connector = CountingConnector(servers: [pod("echo"): server])
        let configuration = ForwardConfiguration(name: "echo", holdTimeout: .seconds(20), warmStreams: 0)
        let forwardMetrics = ForwardMetrics(forward: "echo", failureKinds: Self.kinds, factory: metrics.factory)
        let samples: @Sendable () -> PrometheusSamples = { PrometheusSamples(metrics.exposition()) }
        let echo = ["forward": "echo"]
        let counters = try await withForward(configuration, connector: connector, endpoint: pod("echo"), metrics: forwardMetrics) { forward in
            let port = forward.port
            try await withTimeout(60, "three echoes") {
                for _ in 0..<3 {
                    let client = try await connectClient(port: port)
                    try await client.executeThenClose { (inbound, outbound) async throws in
                        try await outbound.write(ByteBuffer(repeating: 0x61, count: 1000))
                        var reader = inbound.makeAsyncIterator()
                        _ = try await reader.read(count: 1000)
                        try await eventually("one open connection") {
                            samples().value(MetricName.connectionsOpen, echo) == 1
                        }
                    }
                }
            }
            try await eventually("no open connection") { samples().value(MetricName.connectionsOpen, echo) == 0 }
            return await forward.counters()
        }
        let after = samples()
        #expect(after.value(MetricName.connectionsTotal, echo) == 3)
        #expect(after.value(MetricName.bytesTotal, ["forward": "echo", "direction": "in"]) == 3000)
        #expect(after.value(MetricName.bytesTotal, ["forward": "echo", "direction": "out"]) == 3000)
        #expect(counters.upstreamConnects == 3)
        #expect(after.value(MetricName.upstreamOpenSeconds + "_count", echo) == 3)
        #expect(after.value(MetricName.upstreamOpenSeconds + "_bucket", ["forward": "echo", "le": "+Inf"]) == 3)
        #expect(after.value(MetricName.rebindsTotal, echo) == 0)
        for kind in Self.kinds {
            #expect(after.value(MetricName.connectionFailuresTotal, ["forward": "echo", "kind": kind]) == 0, "\(kind)")
        }
        await server.stop()
    }

    /// A `/udp` port (docs/relay.md, "UDP"): each local sender is a connection, open while its stream to the relay
    /// is, and its datagrams' payloads are the bytes, both ways.
    @Test func udpSendersAreConnectionsAndTheirDatagramsAreBytes() async throws {
        let metrics = BerthMetrics()
        // A TCP echo stands for the relay and its target: each frame comes back as it went, so as a reply.
        let server = try await TestServer.start(.echo(greeting: nil))
        let forwardMetrics = ForwardMetrics(forward: "dns", failureKinds: Self.kinds, factory: metrics.factory)
        let port = try await UDPRelayPort.bind(
            host: "127.0.0.1", port: 0, connector: CountingConnector(servers: [pod("relay"): server]),
            eventLoop: MultiThreadedEventLoopGroup.singleton.next(), metrics: forwardMetrics, logger: quietLogger)
        port.setEndpoint(pod("relay"))
        let samples: @Sendable () -> PrometheusSamples = { PrometheusSamples(metrics.exposition()) }
        let dns = ["forward": "dns"]
        typealias Socket = NIOAsyncChannel<AddressedEnvelope<ByteBuffer>, AddressedEnvelope<ByteBuffer>>
        try await withTimeout(60, "two senders, three datagrams each") {
            for sender in 1...2 {
                let socket = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                    .bind(host: "127.0.0.1", port: 0) { channel in
                        channel.eventLoop.makeCompletedFuture { try Socket(wrappingChannelSynchronously: channel) }
                    }
                try await socket.executeThenClose { inbound, outbound in
                    var replies = inbound.makeAsyncIterator()
                    for size in [1, 100, 1000] {
                        let payload = ByteBuffer(repeating: UInt8(sender), count: size)
                        try await outbound.write(AddressedEnvelope(remoteAddress: port.localAddress, data: payload))
                        #expect(try await replies.next()?.data == payload)
                    }
                }
                #expect(samples().value(MetricName.connectionsOpen, dns) == Double(sender))
            }
        }
        var after = samples()
        #expect(after.value(MetricName.connectionsTotal, dns) == 2)
        #expect(after.value(MetricName.bytesTotal, ["forward": "dns", "direction": "in"]) == 2202)
        #expect(after.value(MetricName.bytesTotal, ["forward": "dns", "direction": "out"]) == 2202)
        #expect(after.value(MetricName.upstreamOpenSeconds + "_count", dns) == 2)
        await port.stop()
        try await eventually("no open sender stream") { samples().value(MetricName.connectionsOpen, dns) == 0 }
        after = samples()
        #expect(after.value(MetricName.connectionsTotal, dns) == 2)
        await server.stop()
    }

    @Test func aHoldThatRunsOutIsCountedByItsKind() async throws {
        let metrics = BerthMetrics()
        let configuration = ForwardConfiguration(name: "held", holdTimeout: .milliseconds(200), warmStreams: 0)
        let forwardMetrics = ForwardMetrics(forward: "held", failureKinds: Self.kinds, factory: metrics.factory)
        try await withForward(configuration, connector: CountingConnector(servers: [:]), metrics: forwardMetrics) { forward in
            let port = forward.port
            try await withTimeout(60, "hold timeout") {
                let client = try await connectClient(port: port)
                try await client.executeThenClose { (inbound, _) async throws in
                    var reader = inbound.makeAsyncIterator()
                    #expect(await reader.readToEnd() == "")
                }
            }
        }
        let samples = PrometheusSamples(metrics.exposition())
        #expect(samples.value(MetricName.connectionFailuresTotal, ["forward": "held", "kind": "holdTimedOut"]) == 1)
        #expect(samples.value(MetricName.connectionFailuresTotal, ["forward": "held", "kind": "holdQueueFull"]) == 0)
        #expect(samples.value(MetricName.connectionsTotal, ["forward": "held"]) == 1)
        #expect(samples.value(MetricName.connectionsOpen, ["forward": "held"]) == 0)
    }
}
