import BerthTestSupport
import Foundation
import Testing

/// `berth completion bash|zsh|fish`: scripts each shell accepts, and forward names offered by a real bash from
/// the running daemon.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct CompletionEndToEndTests {
    /// Runs a program to completion outside any world (no cluster needed).
    private func run(_ arguments: [String]) throws -> ProgramOutcome {
        try runProgram(arguments[0], Array(arguments.dropFirst()))
    }

    /// Generates the script for `shell` and has the shell parse it without running it.
    private func checkScript(_ shell: String, with check: [String]) throws {
        let script = try run([ProcessWorld.products + "/berth", "completion", shell])
        #expect(script.status == 0, "\(script.stderr)")
        #expect(script.stdout.contains("---completion status -- positional@0"), "forward names are completed by berth itself")
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("berth-completion-\(UUID().uuidString.prefix(8)).\(shell)").path
        try Data(script.stdout.utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let parsed = try run(check + [path])
        #expect(parsed.status == 0, "\(shell) refuses the script: \(parsed.stderr)")
    }

    @Test func bashAcceptsTheScript() throws {
        try checkScript("bash", with: ["/bin/bash", "-n"])
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/zsh"), "zsh is not installed (.ci/run installs it)"))
    func zshAcceptsTheScript() throws {
        try checkScript("zsh", with: ["/usr/bin/zsh", "-n"])
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/fish"), "fish is not installed (.ci/run installs it)"))
    func fishAcceptsTheScript() throws {
        try checkScript("fish", with: ["/usr/bin/fish", "--no-execute"])
    }

    @Test func bashCompletesTheForwardNamesOfTheRunningDaemon() async throws {
        try await ThreeForwards.with { world, berth in
            // What bash does on `berth status -f FILE <TAB>` and `… w<TAB>`: the generated function fills COMPREPLY.
            func complete(_ manifest: String, _ current: String) async throws -> [String] {
                let script = try world.write("complete.bash", """
                    source <("$1" completion bash)
                    COMP_WORDS=("$1" status -f "$2" "$3")
                    COMP_CWORD=4
                    COMP_LINE="${COMP_WORDS[*]}"
                    COMP_POINT=${#COMP_LINE}
                    _berth
                    printf '%s\\n' "${COMPREPLY[@]}"
                    """)
                let output = try await world.run(["/bin/bash", script, ProcessWorld.products + "/berth", manifest, current])
                #expect(output.status == 0, "\(output.stderr)")
                return output.stdout.split(separator: "\n").map(String.init).filter { !$0.isEmpty }
            }
            #expect(Set(try await complete(berth.manifest, "")) == Set(ProcessEndToEndTests.names))
            #expect(try await complete(berth.manifest, "w") == ["web"])
            // No daemon serves this file: nothing is offered, and nothing is printed into the prompt.
            let other = try world.write("other.yaml", ProcessEndToEndTests.manifest)
            #expect(try await complete(other, "") == [])

            // The names filter `berth status` itself.
            let only = try await world.berth(["status", "-f", berth.manifest, "-o", "json", "web"])
            #expect(only.status == 0, "\(only.stderr)")
            let document = try JSONSerialization.jsonObject(with: Data(only.stdout.utf8)) as? [String: Any]
            #expect(document?.forwards.map { $0["name"] as? String } == ["web"])
            let unknown = try await world.berth(["status", "-f", berth.manifest, "nope"])
            #expect(unknown.status == 2)
            #expect(unknown.stderr == "error: the daemon runs no forward named 'nope'\n")
        }
    }
}
