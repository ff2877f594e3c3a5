import ArgumentParser

/// The options that name a manifest, shared by every subcommand that reads one (`validate`, `up`, …).
struct ManifestOptions: ParsableArguments {
    /// Used when no file is named.
    static let defaultFile = "forwards.yaml"

    @Option(
        name: [.customShort("f"), .customLong("file")],
        help: ArgumentHelp("A manifest file; repeat for overlays, later files override earlier ones by forward name.", valueName: "file")
    )
    var files: [String] = []

    @Option(
        name: .customLong("env-file"),
        help: ArgumentHelp("A dotenv file of KEY=VALUE lines for ${VAR}; repeat, later files win, the environment wins over all.", valueName: "file")
    )
    var envFiles: [String] = []

    /// The files to load, `forwards.yaml` when none were named.
    func paths(orPositional positional: [String] = []) -> [String] {
        let named = files + positional
        return named.isEmpty ? [Self.defaultFile] : named
    }
}

/// How results are printed.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    /// For people: summaries on stdout, `FILE:LINE:COLUMN: error: MESSAGE` lines on stderr.
    case text
    /// For tools: JSON on stdout.
    case json
}
