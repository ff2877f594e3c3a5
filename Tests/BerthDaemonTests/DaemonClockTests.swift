import BerthDaemon
import BerthTestSupport
import Foundation
import NIOCore
import Testing

/// The daemon's configured clock reaches every forward it builds: holds, warm stream ages and retries follow
/// it, not the wall clock.
@Suite(.serialized) struct DaemonClockTests {
    @Test func aHeldConnectionTimesOutOnTheDaemonsClock() async throws {
        // An hour's hold: only the manual clock can end it within the test.
        let manifest = oneForwardManifest("name: ghost", "pod: ghost", "hold: 1h", "ports: [{local: 0, remote: 7000}]")
        try await withManualClockDaemon(scenario: FailedRetryTests.scenario, manifest: manifest) { daemon, clock, _ in
            let port = try await withTimeout(20, "ghost listening") { () async throws -> Int in
                for await status in daemon.statusChanges() {
                    if let port = status.forwards.first?.ports.first?.localPort { return port }
                }
                throw CancellationError()
            }
            let client = try await connectClient(port: port)
            try await eventually("the connection held", within: 10) {
                await daemon.status().forwards.first?.connections.held == 1
            }
            // The hold's timer starts when the connection's task runs, a moment after it is counted as held.
            await clock.waitForSleeper(dueAtOrAfter: clock.now.advanced(by: .seconds(3599)))
            clock.advance(by: .seconds(3600))
            try await withTimeout(10, "the held connection closed once the manual hour passed") {
                try await client.executeThenClose { (inbound, _) async throws in
                    var reader = inbound.makeAsyncIterator()
                    #expect(await reader.readToEnd() == "")
                }
            }
            #expect(await daemon.status().forwards.first?.connections.held == 0)
        }
    }
}
