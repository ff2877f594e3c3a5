import BerthTestSupport
import FakeKube
import Foundation
import NIOCore
import Testing

@testable import BerthDaemon

/// Warm port-forward streams through FakeKube: what they save a connection, and how they behave when the
/// pod side fails.
@Suite(.serialized) struct ForwardWarmStreamTests {
    /// Far above a loopback upgrade (about a millisecond) and a warm connection's first response, even on a
    /// loaded machine, so the timing assertions below cannot flake either way.
    static let upgradeDelay = Duration.milliseconds(750)
    static let lone = UpstreamEndpoint(namespace: "default", podName: "lone", podUID: "", port: 7000)
    static func slow(_ connector: any UpstreamConnector) -> any UpstreamConnector {
        SlowUpgradeConnector(inner: connector, delay: upgradeDelay)
    }

    @Test func sequentialConnectionsOverWarmStreamsNeedNoUpgradeOnTheirPath() async throws {
        try await Harness.with { harness in
            harness.server.resetStats()
            let rounds = 3
            let configuration = ForwardConfiguration(name: "warm", warmStreams: 1)
            try await ForwardThroughAPI.with(kubeconfig: harness.kubeconfig, configuration, endpoint: Self.lone, wrap: Self.slow) { forward in
                for round in 1...rounds {
                    try await eventually("warm stream \(round) ready") { await forward.counters().warmStreamsReady == 1 }
                    let port = forward.port
                    var response = ""
                    let elapsed = try await ContinuousClock().measure { response = try await TestHTTP.get(port: port) }
                    #expect(response.contains(#""pod":"lone""#), "round \(round): \(response)")
                    #expect(elapsed < Self.upgradeDelay, "round \(round) took \(elapsed): an upgrade on its path?")
                }
                try await eventually("the last used stream replaced") { await forward.counters().warmStreamsReady == 1 }
                let counters = await forward.counters()
                #expect(counters.connectsOnAcceptPath == 0)
                #expect(counters.warmStreamsUsed == rounds)
                // One upgrade per connection, each made ahead of it, plus the one waiting now: no extra upgrades.
                #expect(harness.server.stats().count(verb: "portforward") == rounds + 1)
            }
        }
    }

    @Test func withoutWarmStreamsAConnectionWaitsForItsUpgrade() async throws {
        try await Harness.with { harness in
            harness.server.resetStats()
            let configuration = ForwardConfiguration(name: "cold", warmStreams: 0)
            try await ForwardThroughAPI.with(kubeconfig: harness.kubeconfig, configuration, endpoint: Self.lone, wrap: Self.slow) { forward in
                let port = forward.port
                var response = ""
                let elapsed = try await ContinuousClock().measure { response = try await TestHTTP.get(port: port) }
                #expect(response.contains(#""pod":"lone""#), "\(response)")
                #expect(elapsed >= Self.upgradeDelay)
                #expect(await forward.counters().connectsOnAcceptPath == 1)
                #expect(harness.server.stats().count(verb: "portforward") == 1)
            }
        }
    }

    /// The retries a warm stream gets in `window` after its first failure, with the default backoff
    /// (0.5 s, doubling): at most 2 in 3 s, where a loop would make hundreds.
    static let window = Duration.seconds(3)
    static let retriesAllowed = 3
    /// The same schedule a fifth as long (100 ms, doubling), for a failure that takes no time of its own: at
    /// most 2 retries in 600 ms, where a loop would make dozens.
    static let fastRetryDelay = Duration.milliseconds(100)
    static let fastWindow = fastRetryDelay * 6

    @Test func aWarmStreamToAPortNobodyServesIsRetriedWithBackoff() async throws {
        try await Harness.with { harness in
            let unserved = UpstreamEndpoint(namespace: "default", podName: "lone", podUID: "", port: 9999)
            try await ForwardThroughAPI.with(
                kubeconfig: harness.kubeconfig, .init(name: "unserved", warmRetryDelay: Self.fastRetryDelay), endpoint: unserved
            ) { forward in
                try await eventually("the first open failed") { await forward.counters().upstreamFailure != nil }
                let before = harness.server.stats().count(verb: "portforward")
                // A rate is measured over a window: there is no event to wait for.
                try await Task.sleep(for: Self.fastWindow)
                let retries = harness.server.stats().count(verb: "portforward") - before
                #expect(retries <= Self.retriesAllowed, "\(retries) port-forward requests in \(Self.fastWindow)")
                let failure = try #require(await forward.counters().upstreamFailure)
                #expect(failure.message.contains("error forwarding port 9999 to pod lone"), "\(failure.message)")
            }
        }
    }

    @Test func aWarmStreamThePodClosesAtOnceIsRetriedWithBackoff() async throws {
        // FakeKube's kubelet sends the error for a port nobody serves together with the port prefixes, so
        // that stream is dead before it joins the pool. A real kubelet dials the pod after the prefixes:
        // the stream joins the pool and dies a moment later. A pod that closes every connection after
        // 300 ms is that case, through FakeKube's own port-forward server.
        let pod = try await ClosingPodServer(after: .milliseconds(300))
        let address = pod.address
        let server = try await PortForwardLoopbackServer.start(pods: [
            PortForwardPod(namespace: "default", name: "flaky", uid: "uid-flaky") { $0 == 8080 ? address : nil }
        ])
        let kubeconfig = try loopbackKubeconfig(server: server)
        defer { try? FileManager.default.removeItem(atPath: kubeconfig) }

        let flaky = UpstreamEndpoint(namespace: "default", podName: "flaky", podUID: "uid-flaky", port: 8080)
        try await ForwardThroughAPI.with(kubeconfig: kubeconfig, .init(name: "flaky"), endpoint: flaky) { forward in
            try await eventually("the first stream died") { await forward.counters().errorCount(.warmStreamDied) >= 1 }
            let before = pod.accepted
            try await Task.sleep(for: Self.window)
            let retries = pod.accepted - before
            #expect(retries <= Self.retriesAllowed, "\(retries) streams opened in \(Self.window)")
            let counters = await forward.counters()
            // It was the pool's path: streams died while warm, none failed to open.
            #expect(counters.errorCount(.warmStreamDied) >= 1)
            #expect(counters.errorCount(.warmConnectFailed) == 0)
            #expect(counters.upstreamFailure?.message.contains("closed the stream as soon as it was open") == true)
        }
        try await server.shutdown()
        await pod.stop()
    }
}
