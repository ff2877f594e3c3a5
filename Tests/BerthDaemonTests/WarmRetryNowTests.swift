import BerthTestSupport
import Testing

@testable import BerthDaemon

/// After a network change settled, warm streams that failed while the network was down reopen at once
/// instead of waiting out a backoff that grew meanwhile.
@Suite struct WarmRetryNowTests {
    @Test func aResyncCutsAWarmStreamsBackoffShort() async throws {
        // No server for the pod: every open fails, and the next try waits a minute.
        let connector = CountingConnector(servers: [:])
        let configuration = ForwardConfiguration(name: "down", warmStreams: 1, warmRetryDelay: .seconds(60))
        try await withForward(configuration, connector: connector, endpoint: pod("gone")) { forward in
            try await eventually("the first open failed") { await forward.warmRetryPending }
            #expect(connector.connectCalls == 1)

            await forward.retryWarmNow()
            try await eventually("a second open, long before the backoff ends", within: 10) { connector.connectCalls >= 2 }
            // It failed again: a fresh backoff is pending, and the first one's wake-up will not cut it short.
            try await eventually("backing off again") { await forward.warmRetryPending }
            #expect(await forward.warmFailures == 1)
        }
    }

    @Test func aResyncLeavesAHealthyPoolAlone() async throws {
        let server = try await TestServer.start(.echo(greeting: nil))
        let connector = CountingConnector(servers: [pod("a"): server])
        try await withForward(.init(name: "up", warmStreams: 1), connector: connector, endpoint: pod("a")) { forward in
            try await eventually("the pool is full") { await forward.warm.count == 1 }
            await forward.retryWarmNow()
            #expect(await forward.warm.count == 1)
            #expect(connector.connectCalls == 1)
        }
    }
}
