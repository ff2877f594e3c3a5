import BerthManifest
import Foundation
import HostPortSyntax

/// What `berth validate` prints, built apart from the command so its shape is easy to read and test.
struct ValidationReport {
    let files: [String]
    let result: Result<Manifest, ManifestErrors>

    /// One line per error, compiler style, for stderr.
    var textErrors: [String] {
        guard case .failure(let errors) = result else { return [] }
        return errors.errors.map(\.description)
    }

    /// The forwards and their targets, for stdout; `nil` when the manifest is invalid.
    var textSummary: String? {
        guard case .success(let manifest) = result else { return nil }
        let enabled = manifest.enabledForwards.count
        var lines = ["\(files.joined(separator: " + ")) is valid: \(manifest.forwards.count) forward\(manifest.forwards.count == 1 ? "" : "s"), \(enabled) enabled"]
        let rows = manifest.forwards.map { forward -> [String] in
            // A forward with local names and no address gets its own loopback address when the daemon starts.
            let host = forward.ownAddress ? "(own address)" : HostPort.format(host: forward.address, port: nil)
            let listen = forward.ports.map { "\(host):\($0.local)->\($0.remote)" + ($0.protocol == .udp ? "/udp" : "") }
            let scope = "\(forward.context ?? "(current context)")/\(forward.namespace ?? "(default namespace)")"
            let names = forward.localNames(namespace: forward.namespace, clusterDomain: manifest.defaults.clusterDomain)
            return [forward.name, forward.target.description, forward.enabled ? listen.joined(separator: ",") : "disabled",
                    scope + (names.isEmpty ? "" : "  names: " + names.joined(separator: " "))]
        }
        let table = [["NAME", "TARGET", "LISTEN", "CONTEXT/NAMESPACE"]] + rows
        let widths = (0..<3).map { column in table.map { $0[column].count }.max() ?? 0 }
        for row in table {
            let padded = (0..<3).map { row[$0].padding(toLength: widths[$0], withPad: " ", startingAt: 0) } + [row[3]]
            lines.append("  " + padded.joined(separator: "  "))
        }
        return lines.joined(separator: "\n")
    }

    /// One `{file, line, column, path, message}` per error; empty when valid.
    var entries: [Entry] {
        guard case .failure(let failure) = result else { return [] }
        return failure.errors.map { Entry(file: $0.file, line: $0.line, column: $0.column, path: $0.path, message: $0.message) }
    }

    /// A JSON list of `{file, line, column, path, message}`; `[]` when valid.
    func json() throws(CommandFailure) -> String {
        // The pretty printer renders an empty list over three lines; tools and people expect `[]`.
        entries.isEmpty ? "[]" : try OutputFormat.json.document(entries)
    }

    /// One error for `-o json|yaml`.
    struct Entry: Encodable {
        let file: String
        let line: Int
        let column: Int
        let path: String
        let message: String
    }
}
