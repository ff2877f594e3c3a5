import ArgumentParser
import BerthDaemon
import BerthManifest
import Foundation

/// `berth diff`: what the daemon runs against what the manifest files say now.
struct DiffCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Compare the forwards the daemon runs with what the manifest files say now.",
        discussion: """
            Loads the files as `berth up` would (overlays, --env-file, the environment) and compares them, \
            forward by forward and field by field, with what the daemon serving them runs: `+` added in the \
            files, `-` removed from the files, `~` changed (running -> files).

            Exit codes: 0 no differences, 1 differences, 2 the files are invalid or unreadable (or usage \
            error, or several daemons serve the files), 3 no daemon runs for these files, 4 the daemon's \
            answer could not be read.
            """
    )

    @OptionGroup var manifest: ManifestOptions

    @Option(name: .shortAndLong, help: "Output format: text, json or yaml.")
    var output: OutputFormat = .text

    func run() async throws {
        let paths = manifest.paths()
        // The files must be loadable whether or not a daemon runs: an invalid file is exit 2 first.
        let files = try load(paths, context: nil)
        let finding = DaemonLocator(manifestSet: ManifestSet(paths: paths)).locate()
        guard case .running(let state, let client) = finding else {
            throw try DaemonCLI.reportNotRunning(finding, files: paths, output: output)
        }
        let running: [ForwardDefinition]
        let context: String?
        do {
            (running, context) = try await client.runningAndContext()
        } catch BerthDaemonError.daemonNotRunning {
            // It went away since it was found.
            throw try DaemonCLI.reportNotRunning(.notRunning(cleaned: nil), files: paths, output: output)
        } catch {
            // A daemon that answers badly is not "no daemon": say what went wrong.
            throw CommandFailure("cannot read the forwards the daemon runs: \(error)", status: .failed)
        }
        // Compare like with like: the daemon's files (it may serve an overlay too, found from the base alone), and
        // its --context, which wins over defaults.context.
        let served = state.manifests == ManifestSet(paths: paths).paths ? paths : state.manifests
        if served != paths { Console.err("(comparing with the daemon's files: \(served.joined(separator: " + ")))") }
        if let context { Console.err("(comparing with --context \(context), as the daemon runs)") }
        let compared = served == paths && context == nil ? files : try load(served, context: context)
        let diff = ManifestDiff(running: running, files: compared.forwards.map(ForwardDefinition.init))
        switch output {
        case .text, .wide: print(diff.render())
        case .json, .yaml: print(try output.document(diff))
        }
        if !diff.isEmpty { throw ExitCode(1) }
    }

    /// The files as `berth up --context CONTEXT` would load them; invalid or unreadable files end the command (exit 2).
    private func load(_ paths: [String], context: String?) throws -> Manifest {
        switch ManifestLoader.load(paths: paths, envFilePaths: manifest.envFiles, context: context) {
        case .success(let manifest):
            return manifest
        case .failure(let errors):
            FileHandle.standardError.write(Data((errors.description + "\n").utf8))
            throw ExitStatus.usage.exitCode
        }
    }
}
