import ArgumentParser
import Foundation

/// The `berth` command line: a thin layer of subcommands over the berth libraries.
@main
struct Berth: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "berth",
        abstract: "Declarative, self-healing Kubernetes port-forwards.",
        discussion: """
            berth keeps every forward listed in forwards.yaml alive, the way a Kubernetes controller converges.

            Exit codes: 0 success; 1 invalid manifest, or an error waiting cannot fix (berth forward), or not all \
            forwards Ready (berth status); 2 usage error or unreadable file; 3 no berth daemon serves the files; \
            4 a daemon runs but its answer could not be read (berth status, berth diff).
            """,
        version: BerthVersion.current,
        // One line per subcommand; each lives in Commands/.
        subcommands: [
            Validate.self,
            Version.self,
            Up.self, ForwardCommand.self,
            StatusCommand.self,
            DiffCommand.self,
            DownCommand.self,
            HostsCommand.self,
            Demo.self,
            ImportCommand.self,
            CompletionCommand.self,
        ]
    )

    /// Runs the command. Every error ends as one `error: …` line on stderr (kubectl's style); usage errors
    /// (ArgumentParser's EX_USAGE, 64) exit with berth's documented 2.
    static func main() async {
        let arguments = KubectlArguments.normalize(Array(CommandLine.arguments.dropFirst()))
        do {
            try refuseUnknownHelpTopic(arguments)
            // The async parse runs async custom completions (forward names from the daemon, ForwardNameCompletion).
            var command = try await asyncParseAsRoot(arguments)
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let failure as CommandFailure {
            Console.error(failure.message)
            Foundation.exit(failure.status.rawValue)
        } catch let code as ExitCode {
            Foundation.exit(code.rawValue)
        } catch {
            let code = exitCode(for: error)
            guard code != .success else { exit(withError: error) }  // --help, --version: printed on stdout
            var message = fullMessage(for: error)
            if message.hasPrefix("Error: ") { message = "error: " + message.dropFirst("Error: ".count) }
            FileHandle.standardError.write(Data((message + "\n").utf8))
            Foundation.exit(code == .validationFailure ? ExitStatus.usage.rawValue : code.rawValue)
        }
    }

    /// `berth help nosuch` is a usage error, as `kubectl help nosuch` is, not the top-level help.
    private static func refuseUnknownHelpTopic(_ arguments: [String]) throws {
        guard arguments.first == "help", arguments.count > 1 else { return }
        let known = configuration.subcommands.compactMap { $0.configuration.commandName ?? String(describing: $0).lowercased() }
        let topic = arguments[1]
        guard !topic.hasPrefix("-"), !known.contains(topic), topic != "help" else { return }
        throw CommandFailure("unknown command \"\(topic)\" for \"berth\"; run 'berth --help' for the list", status: .usage)
    }
}

/// berth's process exit statuses, shared by every subcommand.
enum ExitStatus: Int32 {
    /// The command did what was asked.
    case success = 0
    /// The manifest (or env file) is invalid.
    case invalid = 1
    /// Bad arguments, or a file that cannot be read.
    case usage = 2
    /// No daemon serves the manifest files (`status`, `diff`, `down`), or `demo` could not start.
    case notRunning = 3
    /// A daemon runs but its answer could not be read or printed (`status`, `diff`): a protocol or encoding error.
    case failed = 4

    /// As an ArgumentParser exit code, to throw from `run()`.
    var exitCode: ExitCode { ExitCode(rawValue) }
}
