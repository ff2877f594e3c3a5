import BerthDaemon
import Foundation
import Logging
import Testing

/// `berth diff` and `berth status` against a daemon that answers, but not as berth expects: an error naming
/// the problem (exit 4), never "no berth daemon is running" (exit 3).
@Suite(.serialized, .timeLimit(.minutes(1)))
struct BadDaemonAnswerTests {
    @Test func diffAgainstADaemonThatAnswersBadlyIsNotReportedAsNoDaemon() async throws {
        try await withGarbageDaemon { world, manifest in
            let diff = try await world.berth(["diff", "-f", manifest], within: .seconds(30))
            #expect(diff.status == 4, "stdout: \(diff.stdout) stderr: \(diff.stderr)")
            #expect(diff.stderr.contains("cannot read the forwards the daemon runs"), "\(diff.stderr)")
            #expect(!diff.stderr.contains("no berth daemon is running"), "\(diff.stderr)")
        }
    }

    @Test func statusAgainstADaemonThatAnswersBadlyIsNotReportedAsNoDaemon() async throws {
        try await withGarbageDaemon { world, manifest in
            for format in ["text", "json"] {
                let status = try await world.berth(["status", "-f", manifest, "-o", format], within: .seconds(30))
                #expect(status.status == 4, "-o \(format): stdout: \(status.stdout) stderr: \(status.stderr)")
                #expect(status.stderr.contains("cannot read the daemon's status"), "\(status.stderr)")
                #expect(status.stderr.contains("cannot read the daemon's reply"), "\(status.stderr)")
                #expect(!status.stdout.contains("\"running\" : false"), "\(status.stdout)")
                #expect(!status.stderr.contains("no berth daemon is running"), "\(status.stderr)")
            }
        }
    }

    /// Runs `body` while a live "daemon" (this test process) serves the manifest's control socket and answers
    /// every request with a string where the reply should be an object.
    private func withGarbageDaemon(_ body: (ProcessWorld, String) async throws -> Void) async throws {
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
            let server = try await ControlServer<HostRequest, String>.bind(path: socket, logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
            let owner = try #require(ProcessIdentity.current())
            try StateFile<DaemonStatus>(path: runtime.stateFilePath(for: set)).write(DaemonState(
                owner: owner, startedAt: Date(), manifests: set.paths, controlSocket: socket,
                status: DaemonStatus(pid: owner.pid, startedAt: Date(), manifests: set.paths, manifestErrors: [], forwards: [])))
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await server.serve { _ in "not a reply" } }
                defer { group.cancelAll() }
                try await body(world, manifest)
            }
        }
    }
}
