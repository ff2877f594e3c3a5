import BerthTestSupport
import Foundation
import Testing

@testable import BerthDaemon

/// Scheduled probes (`probe: {interval: …}`) sleep until one is due and not otherwise: with no forward that
/// has `probe:`, the schedule does not wake at all until the manifest changes.
@Suite(.timeLimit(.minutes(1)))
struct ScheduledProbeTests {
    @Test func withoutAProbeTheScheduleSleepsOnNothingUntilTheManifestGivesItOne() async throws {
        try await withTemporaryDirectory { dir in
            let sleeps = EventLog()
            let clock = ManualClock { length in sleeps.append("\(length)") }
            let daemon = try hostTestDaemon(in: dir)
            let host = DaemonHost(
                daemon: daemon, runtimeDirectory: RuntimeDirectory(path: dir + "/runtime"), clock: clock, logger: quietLogger)
            #expect(daemon.manifest.load() == nil)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await host.runScheduledProbes() }
                defer { group.cancelAll() }
                // Manifest reloads without a probe: each one is a pass of the schedule, none of which may sleep.
                for _ in 0..<3 { #expect(daemon.manifest.load() == nil) }
                // Then one with a probe every 30 s. Passes run in order, so once this sleep has started the passes
                // before it are done, and a 30 s sleep is the only one there has been.
                try hostTestManifest(in: dir, extraLines: ["    probe: {interval: 30s}"])
                #expect(daemon.manifest.load() == nil)
                await clock.waitForSleepers(atLeast: 1)
                #expect(sleeps.events == ["\(Duration.seconds(30))"])
                #expect(clock.nextDeadline == clock.now.advanced(by: .seconds(30)))
            }
        }
    }
}
