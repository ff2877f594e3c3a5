import BerthImport
import BerthManifest
import Foundation
import Testing

/// Renders an import as `berth import` prints it and loads it back with berth's own manifest loader.
struct Rendered {
    let text: String
    let manifest: Manifest
    let notes: [String]

    init(_ result: ImportResult, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws {
        let (text, disabled) = ManifestWriter(header: ["test import"]).render(result.forwards)
        self.text = text
        notes = result.notes + disabled
        switch ManifestLoader.load(files: [ManifestFile(path: "imported.yaml", contents: text)]) {
        case .success(let manifest): self.manifest = manifest
        case .failure(let errors):
            Issue.record("the imported manifest does not validate: \(errors)\n\(text)", sourceLocation: sourceLocation)
            throw errors
        }
    }

    func forward(_ name: String) -> ForwardSpec? { manifest.forwards.first { $0.name == name } }

    /// The comment line right above `- name: NAME`.
    func comment(above name: String) -> String? {
        let lines = text.split(separator: "\n").map(String.init)
        guard let index = lines.firstIndex(of: "  - name: \(name)"), index > 0 else { return nil }
        return lines[lines[..<index].lastIndex { !$0.hasPrefix("  # disabled") } ?? index - 1]
    }
}

enum Fixture {
    static let directory = "Tests/BerthImportTests/Fixtures"

    static func text(_ name: String) throws -> String {
        try String(contentsOfFile: "\(directory)/\(name)", encoding: .utf8)
    }
}
