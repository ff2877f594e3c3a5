import BerthManifest
import Foundation
import Testing

/// The shipped examples stay valid and mean what their comments say.
@Suite struct ExamplesTests {
    private func examples(_ names: String...) throws -> [ManifestFile] {
        try names.map { ManifestFile(path: $0, contents: try String(contentsOf: Corpus.examples.appendingPathComponent($0), encoding: .utf8)) }
    }

    @Test func teamFileWithStagingEnv() throws {
        let env = try examples("staging.env").map { EnvFile(path: $0.path, contents: $0.contents) }
        let manifest = try ManifestLoader.load(files: try examples("forwards.yaml"), envFiles: env).get()
        #expect(manifest.forwards.map(\.name) == ["web", "api", "db", "cache", "metrics", "legacy"])
        #expect(manifest.forwards.allSatisfy { $0.context == "staging-eu" })
        #expect(manifest["db"]?.ports == [PortMapping(local: 15432, remote: .number(5432))])
        #expect(manifest["db"]?.warm == 2 && manifest["db"]?.hold == .seconds(30))
        #expect(manifest["legacy"]?.enabled == false)
    }

    @Test func teamFileWithPersonalOverlay() throws {
        let manifest = try ManifestLoader.load(files: try examples("forwards.yaml", "forwards.local.yaml")).get()
        #expect(manifest.forwards.map(\.name) == ["web", "api", "db", "cache", "metrics", "legacy", "grafana"])
        #expect(manifest["web"]?.ports == [PortMapping(local: 18080, remote: .name("http"))])
        #expect(manifest["cache"]?.enabled == false)
        #expect(manifest["db"]?.ports.first?.local == 5432)
        #expect(manifest.enabledForwards.count == 5)
    }
}

/// The disk convenience the daemon uses: same result as the pure loader, unreadable files flagged.
@Suite struct DiskLoaderTests {
    @Test func readsFilesInOrder() throws {
        let paths = ["forwards.yaml", "forwards.local.yaml"].map { Corpus.examples.appendingPathComponent($0).path }
        let manifest = try ManifestLoader.load(paths: paths, environment: [:]).get()
        #expect(manifest.forwards.count == 7)
        #expect(manifest.origins["grafana"]?.file == paths[1])
    }

    @Test func unreadableFileIsAReadFailureAndNothingElseIsChecked() throws {
        let missing = Corpus.examples.appendingPathComponent("no-such.yaml").path
        let bad = Corpus.fixtures.appendingPathComponent("bad/two-targets.yaml").path
        let errors = try #require(ManifestLoader.load(paths: [bad, missing], environment: [:]).failure)
        #expect(errors.isReadFailure)
        #expect(errors.errors == [ManifestError(.readFailed, file: missing, line: 0, column: 0, path: "", message: "cannot read the file: no such file")])
    }
}
