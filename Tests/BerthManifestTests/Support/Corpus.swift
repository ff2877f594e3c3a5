import BerthManifest
import Foundation

/// Paths of the repository, the fixtures corpus and the examples, found from this source file.
enum Corpus {
    static let testsDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    static let fixtures = testsDirectory.appendingPathComponent("Fixtures")
    static let repositoryRoot = testsDirectory.deletingLastPathComponent().deletingLastPathComponent()
    static let examples = repositoryRoot.appendingPathComponent("examples")

    /// The `.yaml` files of one corpus folder (`good`, `bad`, `overlays`), sorted.
    static func manifests(in folder: String) -> [URL] {
        let directory = fixtures.appendingPathComponent(folder)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0.hasSuffix(".yaml") }.sorted().map { directory.appendingPathComponent($0) }
    }

    static func file(_ url: URL) throws -> ManifestFile {
        ManifestFile(path: url.lastPathComponent, contents: try String(contentsOf: url, encoding: .utf8))
    }

    static func fixture(_ folder: String, _ name: String) throws -> ManifestFile {
        try file(fixtures.appendingPathComponent(folder).appendingPathComponent(name))
    }
}

/// A bad manifest's `.expect` sidecar: whether the JSON Schema rejects it, and the exact errors
/// `berth validate` reports, one `LINE:COLUMN | PATH | MESSAGE` line each.
struct Expectation {
    var schemaRejects: Bool
    var errors: [Expected]

    struct Expected: Equatable, CustomStringConvertible {
        var line: Int
        var column: Int
        var path: String
        var message: String

        init(line: Int, column: Int, path: String, message: String) {
            self.line = line
            self.column = column
            self.path = path
            self.message = message
        }

        init(_ error: ManifestError) {
            self.init(line: error.line, column: error.column, path: error.path, message: error.message)
        }

        var description: String { "\(line):\(column) | \(path) | \(message)" }
    }

    init(contentsOf url: URL) throws {
        var schemaRejects: Bool?
        var errors: [Expected] = []
        for line in try String(contentsOf: url, encoding: .utf8).split(separator: "\n") where !line.hasPrefix("#") {
            if line.hasPrefix("schema:") {
                schemaRejects = line.hasSuffix("fail")
                continue
            }
            let fields = line.components(separatedBy: " | ")
            let position = fields[0].split(separator: ":").compactMap { Int($0) }
            guard fields.count == 3, position.count == 2 else { throw MalformedExpectation(line: String(line)) }
            errors.append(Expected(line: position[0], column: position[1], path: fields[1], message: fields[2]))
        }
        guard let schemaRejects else { throw MalformedExpectation(line: "no 'schema:' line in \(url.lastPathComponent)") }
        self.schemaRejects = schemaRejects
        self.errors = errors
    }

    struct MalformedExpectation: Error {
        var line: String
    }
}
