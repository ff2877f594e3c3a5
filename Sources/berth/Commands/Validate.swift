import ArgumentParser
import BerthManifest
import Foundation

/// `berth validate`: loads the manifest and its overlays exactly as `berth up` would, and reports.
struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check a manifest and its overlays without contacting any cluster.",
        discussion: """
            Loads the files in order (later files override earlier ones forward by forward), \
            substitutes ${VAR} from --env-file files and the environment, and checks every field. \
            All errors are reported at once, as FILE:LINE:COLUMN: error: MESSAGE on stderr \
            (or JSON with -o json).

            Exit codes: 0 valid, 1 invalid, 2 usage error or unreadable file.

            Examples:
              berth validate
              berth validate examples/forwards.yaml
              berth validate forwards.yaml forwards.local.yaml --env-file staging.env
              berth validate -f forwards.yaml -f forwards.local.yaml -o json
            """
    )

    @Argument(help: ArgumentHelp("Manifest files, base first, then overlays. Default: forwards.yaml.", valueName: "file"))
    var positionalFiles: [String] = []

    @OptionGroup var manifest: ManifestOptions

    @Option(name: .shortAndLong, help: "Output format: text, json or yaml.")
    var output: OutputFormat = .text

    func validate() throws {
        if !positionalFiles.isEmpty, !manifest.files.isEmpty {
            throw ValidationError("name manifest files either as arguments or with -f, not both, so their order is clear")
        }
    }

    func run() throws {
        let paths = manifest.paths(orPositional: positionalFiles)
        let result = ManifestLoader.load(paths: paths, envFilePaths: manifest.envFiles)
        let report = ValidationReport(files: paths, result: result)
        switch output {
        case .text, .wide:
            if let summary = report.textSummary { print(summary) }
            for line in report.textErrors { FileHandle.standardError.write(Data((line + "\n").utf8)) }
        case .json:
            print(try report.json())
        case .yaml:
            print(try output.document(report.entries))
        }
        guard case .failure(let errors) = result else { return }
        throw (errors.isReadFailure ? ExitStatus.usage : ExitStatus.invalid).exitCode
    }
}
