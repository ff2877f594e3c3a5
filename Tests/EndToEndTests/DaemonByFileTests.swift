import Foundation
import Testing

/// Daemons found from any of the files they serve: `berth up -f forwards.yaml -f forwards.local.yaml`, then a
/// plain `berth status`, `diff` or `down` in that directory finds it; two daemons that both serve the file are
/// listed; a `berth up` that would take a port a running daemon holds is refused, naming that daemon.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct DaemonByFileTests {
    @Test func aDaemonIsFoundFromAnyOfItsFilesAndASecondOneMayNotTakeItsPorts() async throws {
        try await ProcessWorld.with(scenario: ProcessEndToEndTests.scenario) { world in
            let port = try ForwardCommandCLITests.freePort()
            let base = try world.write("forwards.yaml", """
                apiVersion: berth/v1
                kind: Forwards
                forwards:
                  - name: web
                    service: web
                    ports: [{local: \(port), remote: http}]
                """)
            let local = try world.write("forwards.local.yaml", """
                apiVersion: berth/v1
                kind: Forwards
                forwards:
                  - name: db
                    statefulset: db
                    ports: [{local: 0, remote: 5432}]
                """)
            let other = try world.write("other.yaml", """
                apiVersion: berth/v1
                kind: Forwards
                forwards:
                  - name: web
                    ports: [{local: 0, remote: http}]
                """)
            /// `berth ARGS` run in the manifests' directory, as a user types it there.
            func here(_ arguments: [String]) async throws -> ProcessWorld.Output {
                let quoted = arguments.map { "'\($0)'" }.joined(separator: " ")
                return try await world.run(["/bin/sh", "-c", "cd '\(world.directory)' && exec '\(ProcessWorld.products)/berth' \(quoted)"])
            }

            let first = try world.startBerth(["up", "-f", base, "-f", local], log: "up-1.log")
            defer { first.stop() }
            try await world.awaitStatus(base, within: .seconds(20), "both forwards Ready, found from forwards.yaml alone") {
                $0.allPhases(["web", "db"], are: "Ready")
            }
            let status = try await here(["status"])
            #expect(status.status == 0 && status.stdout.contains("db"), "plain status finds the daemon: \(status.stdout)\(status.stderr)")
            let diff = try await here(["diff"])
            #expect(diff.status == 0, "diff reads the daemon's files, the overlay too: \(diff.stdout)\(diff.stderr)")

            // A plain `berth up` would listen on web's port: refused, naming the daemon that holds it.
            let second = try await here(["up"])
            #expect(second.status == 1, "\(second.stderr)")
            #expect(second.stderr.contains("PID \(first.pid)") && second.stderr.contains("127.0.0.1:\(port)"), "\(second.stderr)")

            // A daemon on forwards.yaml + other.yaml takes no fixed port: it runs, and forwards.yaml is now ambiguous.
            let third = try world.startBerth(["up", "-f", base, "-f", other], log: "up-3.log")
            defer { third.stop() }
            try await world.awaitStatus(other, within: .seconds(20), "the third daemon Ready") { $0.phase("web") == "Ready" }
            let ambiguous = try await here(["status"])
            #expect(ambiguous.status == 2, "\(ambiguous.stdout)\(ambiguous.stderr)")
            #expect(ambiguous.stderr.contains("PID \(first.pid)") && ambiguous.stderr.contains("PID \(third.pid)"), "both listed: \(ambiguous.stderr)")

            let down = try await here(["down", "-f", "forwards.local.yaml"])
            #expect(down.status == 0, "down finds the daemon from its overlay: \(down.stdout)\(down.stderr)")
            #expect(await first.wait() == 0)
            #expect(try await here(["down"]).status == 0, "one daemon serves forwards.yaml now")
            #expect(await third.wait() == 0)
        }
    }
}
