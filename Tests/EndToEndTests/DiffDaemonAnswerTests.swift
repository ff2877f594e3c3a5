import BerthDaemon
import Foundation
import Logging
import Testing

/// `berth diff` against a daemon that answers, but not as berth expects: an error naming the problem
/// (exit 4), never "no berth daemon is running" (exit 3).
@Suite(.serialized, .timeLimit(.minutes(1)))
struct DiffDaemonAnswerTests {
    @Test func aDaemonThatAnswersBadlyIsNotReportedAsNoDaemon() async throws {
        try await ProcessWorld.with(scenario: ProcessEndToEndTests.scenario) { world in
            let manifest = try world.write("forwards.yaml", """
                apiVersion: berth/v1
                kind: Forwards
                forwards:
                  - name: web
                    service: web
                    ports: [{local: 0, remote: 80}]
                """)
            let runtime = RuntimeDirectory.standard(environment: world.environment)
            let set = ManifestSet(paths: [manifest])
            let socket = runtime.controlSocketPath(for: set)
            // A live "daemon" (this test process) whose control socket answers with a string where the
            // reply should be an object.
            let server = try await ControlServer<HostRequest, String>.bind(path: socket, logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
            let owner = try #require(ProcessIdentity.current())
            try StateFile<DaemonStatus>(path: runtime.stateFilePath(for: set)).write(DaemonState(
                owner: owner, startedAt: Date(), manifests: set.paths, controlSocket: socket,
                status: DaemonStatus(pid: owner.pid, startedAt: Date(), manifests: set.paths, manifestErrors: [], forwards: [])))
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await server.serve { _ in "not a reply" } }
                defer { group.cancelAll() }
                let diff = try await world.berth(["diff", "-f", manifest], within: .seconds(30))
                #expect(diff.status == 4, "stdout: \(diff.stdout) stderr: \(diff.stderr)")
                #expect(diff.stderr.contains("cannot read the forwards the daemon runs"), "\(diff.stderr)")
                #expect(!diff.stdout.contains("no berth daemon is running"), "\(diff.stdout)")
            }
        }
    }
}
