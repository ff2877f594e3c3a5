import Foundation
import Testing

@testable import BerthManifest

/// Manifests built to hurt, tried on purpose: each is refused with a clear error, quickly and in bounded memory.
@Suite(.timeLimit(.minutes(1)))
struct BadInputTests {
    @Test func aFiftyMegabyteManifestIsRefusedBeforeItIsParsed() throws {
        let directory = try TemporaryDirectory()
        let entry = "  - name: web\n    service: web\n    ports: [{local: 0, remote: 80}]\n"
        let big = "apiVersion: berth/v1\nkind: Forwards\nforwards:\n" + String(repeating: entry, count: (50 << 20) / entry.utf8.count)
        let path = try directory.write("forwards.yaml", big).path
        let started = ContinuousClock.now
        guard case .failure(let errors) = ManifestLoader.load(paths: [path], environment: [:]) else {
            Issue.record("a 50 MB manifest was accepted")
            return
        }
        #expect(ContinuousClock.now - started < .seconds(5), "refused without parsing")
        #expect(errors.errors.map(\.description) == ["\(path): error: cannot read the file: it is larger than 4 MiB, the most berth reads"])
    }

    @Test func anEnvFileTooBigIsRefusedTheSameWay() throws {
        let directory = try TemporaryDirectory()
        let manifest = try directory.write("forwards.yaml", "apiVersion: berth/v1\nkind: Forwards\nforwards: []\n").path
        let env = try directory.write(".env", String(repeating: "A=1\n", count: (5 << 20) / 4)).path
        guard case .failure(let errors) = ManifestLoader.load(paths: [manifest], envFilePaths: [env], environment: [:]) else {
            Issue.record("a 5 MB env file was accepted")
            return
        }
        #expect(errors.errors.first?.file == env && errors.errors.first?.message.contains("larger than 4 MiB") == true)
    }

    /// A billion laughs: nine levels of nine aliases each, used where a list of forwards belongs.
    @Test func aYAMLAliasBombIsAClearErrorInBoundedTime() throws {
        var lines = [#"a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]"#]
        for level in 1...9 {
            lines.append("a\(level): &a\(level) [" + Array(repeating: "*a\(level - 1)", count: 9).joined(separator: ",") + "]")
        }
        let text = "apiVersion: berth/v1\nkind: Forwards\nx-bomb:\n" + lines.map { "  " + $0 }.joined(separator: "\n")
            + "\nforwards: *a9\n"
        let started = ContinuousClock.now
        let result = ManifestLoader.load(files: [ManifestFile(path: "bomb.yaml", contents: text)], envFiles: [], environment: [:])
        #expect(ContinuousClock.now - started < .seconds(5))
        guard case .failure(let errors) = result else {
            Issue.record("the alias bomb was accepted")
            return
        }
        #expect(errors.errors.count <= 9, "one error per forward entry, not per expanded alias")
        #expect(errors.errors.allSatisfy { $0.message.contains("expected a forward (a mapping of fields), found a list") })
    }
}
