import BerthTestSupport
import Testing

@testable import BerthDaemon

/// Warm streams that fail together (a partition, a cut SPDY session, a pod that is gone) are one failed round of
/// opens: the backoff grows by one step, not by one step per stream (docs/data-plane.md, "Warm streams").
@Suite struct WarmRoundBackoffTests {
    static let streams = 6

    /// The forward's failures once all `streams` opens of the first round have failed or died.
    private func failuresAfterTheFirstRound(_ forward: Forward) async throws -> Int {
        try await eventually("every stream of the round failed") {
            let counters = await forward.counters()
            let failed = counters.errorCount(.warmConnectFailed) + counters.errorCount(.warmStreamDied)
            let opening = await forward.warmOpening
            return failed == Self.streams && opening == 0
        }
        #expect(await forward.warmRetryPending, "the round is retried after a backoff")
        return await forward.warmFailures
    }

    @Test func opensThatFailTogetherAreOneStepOfBackoff() async throws {
        // No server for the pod: every open fails, and the retry waits long enough not to start a second round.
        let connector = CountingConnector(servers: [:])
        let configuration = ForwardConfiguration(name: "down", warmStreams: Self.streams, warmRetryDelay: .seconds(60))
        try await withForward(configuration, connector: connector, endpoint: pod("gone")) { forward in
            let failures = try await failuresAfterTheFirstRound(forward)
            #expect(failures == 1, "six opens that failed together are one round")
            #expect(connector.connectCalls == Self.streams)
        }
    }

    @Test func streamsThatDieTogetherInProbationAreOneStepOfBackoff() async throws {
        // The server closes each of the round's streams as soon as it has accepted it.
        let server = try await TestServer.start(.echo(greeting: nil), closeFirst: Self.streams)
        let connector = CountingConnector(servers: [pod("a"): server])
        let configuration = ForwardConfiguration(name: "cut", warmStreams: Self.streams, warmRetryDelay: .seconds(60))
        try await withForward(configuration, connector: connector, endpoint: pod("a")) { forward in
            let failures = try await failuresAfterTheFirstRound(forward)
            #expect(failures == 1, "six streams cut together are one round")
            #expect(server.accepted == Self.streams)
        }
        await server.stop()
    }
}
