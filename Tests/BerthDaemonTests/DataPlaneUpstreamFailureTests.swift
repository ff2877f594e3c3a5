import BerthTestSupport
import NIOCore
import Synchronization
import Testing

@testable import BerthDaemon

/// Counts down the first `n` of something (refusals, say); `take()` says whether this one is among them.
final class Countdown: Sendable {
    private let left: Mutex<Int>

    init(_ n: Int) { left = Mutex(n) }

    func take() -> Bool {
        left.withLock { left in
            defer { left = max(left - 1, 0) }
            return left > 0
        }
    }
}

/// A connector that refuses its first `refusals` streams the way the API server refuses RBAC, then
/// dials the test servers.
final class RefusingConnector: UpstreamConnector {
    private let inner: CountingConnector
    private let refusals: Countdown

    init(refusals: Int, servers: [UpstreamEndpoint: TestServer]) {
        inner = CountingConnector(servers: servers)
        self.refusals = Countdown(refusals)
    }

    func connect(to endpoint: UpstreamEndpoint, on eventLoop: any EventLoop) async throws -> UpstreamStream {
        if refusals.take() {
            throw BerthDaemonError.upstreamRefused(
                forward: "rbac", endpoint: endpoint, reason: .forbidden, message: "forbidden: not yet granted")
        }
        return try await inner.connect(to: endpoint, on: eventLoop)
    }
}

/// A forward's `upstreamFailure`: set by what the server said, cleared once streams work, and told to the owner.
@Suite struct DataPlaneUpstreamFailureTests {
    @Test func aRefusalIsReportedThenClearedOnceAWarmStreamOutlivesItsProbation() async throws {
        let podA = try await TestServer.start(.echo(greeting: nil))
        let connector = RefusingConnector(refusals: 2, servers: [pod("a"): podA])
        let changes = Mutex(0)
        let configuration = ForwardConfiguration(name: "rbac", warmStreams: 1, warmRetryDelay: .milliseconds(20))
        try await withForward(configuration, connector: connector, endpoint: pod("a"), upstreamChanged: {
            changes.withLock { $0 += 1 }
        }) { forward in
            try await eventually("the refusal reported") { await forward.counters().upstreamFailure != nil }
            let failure = try #require(await forward.counters().upstreamFailure)
            #expect(failure == UpstreamFailure(reason: .forbidden, message: "forbidden: not yet granted"))
            // The third open works; the stream then lives through its probation.
            try await eventually("the failure cleared") { await forward.counters().upstreamFailure == nil }
            #expect(await forward.counters().errorCount(.warmConnectFailed) == 2)
            #expect(changes.withLock { $0 } == 2, "one report for the failure, one for the recovery")
        }
        await podA.stop()
    }

    @Test func withoutWarmStreamsABridgedConnectionClearsTheFailure() async throws {
        let podA = try await TestServer.start(.echo(greeting: nil))
        let connector = RefusingConnector(refusals: 1, servers: [pod("a"): podA])
        let changes = Mutex(0)
        try await withForward(.init(name: "cold", warmStreams: 0), connector: connector, endpoint: pod("a"), upstreamChanged: {
            changes.withLock { $0 += 1 }
        }) { forward in
            // The refused open reached no pod: the connection is held and retried within its hold, and echoes.
            let echoed = try await sendAndReadToEnd("x", port: forward.port, "refused, then retried")
            #expect(echoed == "x")
            let counters = await forward.counters()
            #expect(counters.errorCount(.reheld) == 1)
            #expect(counters.upstreamFailure == nil)
            #expect(changes.withLock { $0 } == 2, "one report for the refusal, one for the bridge that cleared it")
        }
        await podA.stop()
    }
}
