import Foundation
import Testing

/// `berth diff` loads the files with the daemon's inputs: the env files of its `berth up --env-file` (typed relative
/// to its directory, found from any other) and the variables of its environment the files use; `--env-file` on
/// diff overrides them. Either way one line on stderr says which it used.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct DiffInputsTests {
    @Test func diffLoadsTheFilesWithTheDaemonsEnvFilesAndVariablesUnlessTold() async throws {
        try await ProcessWorld.with(scenario: ProcessEndToEndTests.scenario) { world in
            let manifest = try world.write("forwards.yaml", """
                apiVersion: berth/v1
                kind: Forwards
                forwards:
                  - name: web
                    service: web
                    hold: ${HOLD}
                    warm: ${WARM:-1}
                    ports: [{local: 0, remote: http}]
                """)
            _ = try world.write("stage.env", "HOLD=3s\n")
            let other = try world.write("other.env", "HOLD=7s\n")
            // The daemon: started in the manifest's directory with a relative --env-file and WARM only in its environment.
            let up = try Spawned.start(
                ["/bin/sh", "-c", "cd '\(world.directory)' && WARM=2 exec '\(ProcessWorld.products)/berth' up --env-file stage.env"],
                environment: world.environment, log: world.directory + "/berth-up.log")
            defer { up.stop() }
            try await world.awaitStatus(manifest, "web Ready") { $0.phase("web") == "Ready" }

            // From another directory, with no env file and no WARM: the daemon's inputs, so no differences.
            let diff = try await world.run([
                "/bin/sh", "-c", "cd '\(world.directory)/home' && exec '\(ProcessWorld.products)/berth' diff -f '\(manifest)'",
            ])
            #expect(diff.status == 0, "diff uses the daemon's env file and variables:\n\(diff.stdout)\(diff.stderr)")
            #expect(diff.stdout.contains("no differences"), "\(diff.stdout)")
            let said = diff.stderr.split(separator: "\n").filter { $0.contains("env files") }
            #expect(said.count == 1, "one line says which inputs diff used:\n\(diff.stderr)")
            #expect(said.first?.contains(world.directory + "/stage.env") == true && said.first?.contains("${WARM}") == true, "\(said)")

            // The user's own env file wins (with this shell's environment, which has no WARM).
            let typed = try await world.berth(["diff", "-f", manifest, "--env-file", other])
            #expect(typed.status == 1, "\(typed.stdout)\(typed.stderr)")
            #expect(typed.stdout.contains("hold: 3s -> 7s") && typed.stdout.contains("warm: 2 -> 1"), "\(typed.stdout)")
            #expect(typed.stderr.contains("--env-file \(other)"), "\(typed.stderr)")
        }
    }

    /// The daemon's files in its overlay order: found from the base alone, diff loads the overlay after it, as the
    /// daemon does (its state file lists the files sorted, which put forwards.local.yaml first).
    @Test func diffFoundFromTheBaseLoadsTheOverlayLast() async throws {
        try await ProcessWorld.with(scenario: ProcessEndToEndTests.scenario) { world in
            let base = try world.write("forwards.yaml", """
                apiVersion: berth/v1
                kind: Forwards
                forwards:
                  - name: web
                    service: web
                    hold: 2s
                    ports: [{local: 0, remote: http}]
                """)
            let overlay = try world.write("forwards.local.yaml", """
                apiVersion: berth/v1
                kind: Forwards
                forwards:
                  - name: web
                    hold: 4s
                """)
            let up = try world.startBerth(["up", "-f", base, "-f", overlay])
            defer { up.stop() }
            try await world.awaitStatus(base, "web Ready") { $0.phase("web") == "Ready" }
            let diff = try await world.berth(["diff", "-f", base])
            #expect(diff.status == 0, "the overlay's hold wins, as in the daemon:\n\(diff.stdout)\(diff.stderr)")
            #expect(diff.stderr.contains("(comparing with the daemon's files: \(base) + \(overlay))"), "\(diff.stderr)")
        }
    }
}
