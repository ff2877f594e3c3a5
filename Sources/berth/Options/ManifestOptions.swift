import ArgumentParser
import Foundation
import Yams

/// What `--env-file` means to a command, for its help: a command that reads it differently says so.
protocol EnvFileHelp {
    /// The help line of `--env-file`.
    static var envFile: String { get }
}

/// `--env-file` as every command but `diff` reads it: the variables of the files loaded.
enum LoadedEnvFiles: EnvFileHelp {
    static let envFile = "A dotenv file of KEY=VALUE lines for ${VAR}; repeat, later files win, the environment wins over all."
}

/// The options that name a manifest, shared by every subcommand that reads one (`validate`, `up`, …).
typealias ManifestOptions = ManifestFileOptions<LoadedEnvFiles>

/// The options that name a manifest, with the help of `--env-file` that `Help` gives.
struct ManifestFileOptions<Help: EnvFileHelp>: ParsableArguments {
    /// Used when no file is named.
    static var defaultFile: String { "forwards.yaml" }

    @Option(
        name: [.customShort("f"), .customLong("file")],
        help: ArgumentHelp("A manifest file; repeat for overlays, later files override earlier ones by forward name.", valueName: "file")
    )
    var files: [String] = []

    @Option(name: .customLong("env-file"), help: ArgumentHelp(Help.envFile, valueName: "file"))
    var envFiles: [String] = []

    /// The files to load, `forwards.yaml` when none were named.
    func paths(orPositional positional: [String] = []) -> [String] {
        let named = files + positional
        return named.isEmpty ? [Self.defaultFile] : named
    }
}

/// How results are printed; one set of names for every command, as kubectl's `-o`.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    /// For people: tables and summaries on stdout, errors on stderr. `table` is accepted too.
    case text
    /// `text` with more columns, where the command prints a table (`status`); elsewhere the same as `text`.
    case wide
    /// For tools: JSON on stdout.
    case json
    /// For tools: the same document as YAML on stdout.
    case yaml

    init?(argument: String) {
        // `table` was status's name for `text`; scripts that say it keep working.
        self.init(rawValue: argument == "table" ? "text" : argument)
    }

    /// Whether the output is a document for tools (JSON or YAML) rather than text for people.
    var isDocument: Bool { self == .json || self == .yaml }

    /// `value` as this format's document: pretty, key-sorted JSON, or YAML; never an empty document.
    func document(_ value: some Encodable) throws(CommandFailure) -> String {
        do {
            switch self {
            case .yaml:
                return try YAMLEncoder().encode(value).trimmingCharacters(in: .newlines)
            default:
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                encoder.dateEncodingStrategy = .iso8601
                return String(decoding: try encoder.encode(value), as: UTF8.self)
            }
        } catch {
            throw CommandFailure("cannot encode the output as \(self == .yaml ? "YAML" : "JSON"): \(error)", status: .failed)
        }
    }
}
