import ArgumentParser
import BerthDaemon
import BerthManifest
import Foundation

/// `--env-file` on `berth diff`: it replaces what the daemon loaded with (`LoadInputs`).
enum DiffEnvFiles: EnvFileHelp {
    static let envFile = "A dotenv file for ${VAR}, instead of the daemon's env files and environment "
        + "(with this shell's, which wins over all); repeat, later files win."
}

/// `berth diff`: what the daemon runs against what the manifest files say now.
struct DiffCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Compare the forwards the daemon runs with what the manifest files say now.",
        discussion: """
            Loads the files as the daemon serving them would (its overlays, --context, env files and the \
            variables of its environment; --env-file here overrides them, with this shell's environment) and \
            compares them, forward by forward and field by field, with what it runs: `+` added in the files, \
            `-` removed from the files, `~` changed (running -> files).

            Exit codes: 0 no differences, 1 differences, 2 the files are invalid or unreadable (or usage \
            error, or several daemons serve the files), 3 no daemon runs for these files, 4 the daemon's \
            answer could not be read.
            """
    )

    @OptionGroup var manifest: ManifestFileOptions<DiffEnvFiles>

    @Option(name: .shortAndLong, help: "Output format: text, json or yaml.")
    var output: OutputFormat = .text

    func run() async throws {
        let paths = manifest.paths()
        let finding = DaemonLocator(manifestSet: ManifestSet(paths: paths)).locate()
        guard case .running(let state, let client) = finding else {
            // The files must be loadable whether or not a daemon runs: an invalid file is exit 2 first.
            _ = try load(paths, with: LoadInputs(envFiles: manifest.envFiles, environment: ProcessInfo.processInfo.environment))
            throw try DaemonCLI.reportNotRunning(finding, files: paths, output: output)
        }
        let running: [ForwardDefinition]
        let daemonInputs: ManifestInputs
        do {
            (running, daemonInputs) = try await client.runningAndInputs()
        } catch BerthDaemonError.daemonNotRunning {
            // It went away since it was found.
            throw try DaemonCLI.reportNotRunning(.notRunning(cleaned: nil), files: paths, output: output)
        } catch {
            // A daemon that answers badly is not "no daemon": say what went wrong.
            throw CommandFailure("cannot read the forwards the daemon runs: \(error)", status: .failed)
        }
        // Compare like with like: the daemon's files (it may serve an overlay too, found from the base alone), its
        // --context, which wins over defaults.context, and its env files and variables unless the user named env files.
        // Its files in its overlay order (the state file's list is sorted, and a later overlay wins).
        let served = daemonInputs.manifests ?? (state.manifests == ManifestSet(paths: paths).paths ? paths : state.manifests)
        let typed = paths.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
        if served != typed { Console.err("(comparing with the daemon's files: \(served.joined(separator: " + ")))") }
        if let context = daemonInputs.context { Console.err("(comparing with --context \(context), as the daemon runs)") }
        let inputs = LoadInputs(choosing: manifest.envFiles, over: daemonInputs)
        if let said = inputs.said { Console.err(said) }
        let compared = try load(served, with: inputs)
        let diff = ManifestDiff(running: running, files: compared.forwards.map(ForwardDefinition.init))
        switch output {
        case .text, .wide: print(diff.render())
        case .json, .yaml: print(try output.document(diff))
        }
        if !diff.isEmpty { throw ExitCode(1) }
    }

    /// The files as `berth up` would load them with these inputs; invalid or unreadable files end the command (exit 2).
    private func load(_ paths: [String], with inputs: LoadInputs) throws -> Manifest {
        switch ManifestLoader.load(paths: paths, envFilePaths: inputs.envFiles, environment: inputs.environment, context: inputs.context) {
        case .success(let manifest):
            return manifest
        case .failure(let errors):
            FileHandle.standardError.write(Data((errors.description + "\n").utf8))
            throw ExitStatus.usage.exitCode
        }
    }
}

/// What `berth diff` loads the files with besides the files: the daemon's env files and the variables of its
/// environment, unless the user typed `--env-file` (then those and this shell's environment).
struct LoadInputs {
    var envFiles: [String]
    var environment: [String: String]
    var context: String?
    /// The line that says which inputs these are; nil when there is nothing to say (no env files, no variables).
    var said: String?

    init(envFiles: [String], environment: [String: String], context: String? = nil) {
        self.envFiles = envFiles
        self.environment = environment
        self.context = context
    }

    /// The typed `--env-file`s win over the daemon's; a daemon that does not say (an older berth) leaves this shell's.
    init(choosing typed: [String], over daemon: ManifestInputs) {
        let shell = ProcessInfo.processInfo.environment
        context = daemon.context
        guard typed.isEmpty, let daemonFiles = daemon.envFiles else {
            self.envFiles = typed
            environment = shell
            if !typed.isEmpty {
                let theirs = daemon.envFiles.map { $0.isEmpty ? "none" : $0.joined(separator: ", ") } ?? "not said"
                said = "(loading with --env-file \(typed.joined(separator: ", ")) and this shell's environment, "
                    + "not the daemon's env files (\(theirs)))"
            }
            return
        }
        envFiles = daemonFiles
        environment = daemon.variables ?? [:]
        guard !daemonFiles.isEmpty || !environment.isEmpty else { return }
        let files = daemonFiles.isEmpty ? "none" : daemonFiles.joined(separator: ", ")
        let names = environment.isEmpty ? "none" : environment.keys.sorted().map { "${\($0)}" }.joined(separator: ", ")
        said = "(loading as the daemon does: its env files: \(files); from its environment: \(names); --env-file overrides)"
    }
}
