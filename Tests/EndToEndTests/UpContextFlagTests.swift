import Foundation
import Testing

/// `berth up --context X` against a manifest whose `defaults.context` says otherwise: the flag the user typed
/// wins (as kubectl's `--context` wins over current-context), the log says so once, and `berth diff` compares
/// with the same context the daemon runs.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct UpContextFlagTests {
    @Test func theContextFlagWinsOverTheManifestsDefaultContext() async throws {
        try await ProcessWorld.with(scenario: ProcessEndToEndTests.scenario) { world in
            // `nosuch` is not in the kubeconfig: a forward that used it could never become Ready.
            let manifest = try world.write("forwards.yaml", """
                apiVersion: berth/v1
                kind: Forwards
                defaults:
                  context: nosuch
                forwards:
                  - name: web
                    service: web
                    ports: [{local: 0, remote: http}]
                  - name: db
                    context: nosuch
                    statefulset: db
                    ports: [{local: 0, remote: 5432}]
                """)
            let up = try world.startBerth(["up", "-f", manifest, "--context", "admin"])
            defer { up.stop() }
            let status = try await world.awaitStatus(manifest, "web Ready on --context admin") { $0.phase("web") == "Ready" }
            #expect(status.forward("web")?["context"] as? String == "admin")
            // A forward that names its own context keeps it.
            #expect(status.forward("db")?["context"] as? String == "nosuch")
            let lines = up.log().split(separator: "\n").filter { $0.contains("--context") }
            #expect(lines.count == 1, "one line says where the context came from:\n\(up.log())")
            #expect(lines.first?.contains("defaults.context") == true && lines.first?.contains("nosuch") == true, "\(lines)")

            let diff = try await world.berth(["diff", "-f", manifest])
            #expect(diff.status == 0, "diff loads the files with the daemon's --context: \(diff.stdout)\(diff.stderr)")
        }
    }
}
