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

            Exit codes: 0 success, 1 invalid manifest, 2 usage error or unreadable file.
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
            Demo.self,
            ImportCommand.self,
        ]
    )

    /// Runs the command, mapping ArgumentParser's usage errors (EX_USAGE, 64) to berth's documented 2.
    static func main() async {
        do {
            var command = try await asyncParseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            if exitCode(for: error) == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(ExitStatus.usage.rawValue)
            }
            exit(withError: error)
        }
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

    /// As an ArgumentParser exit code, to throw from `run()`.
    var exitCode: ExitCode { ExitCode(rawValue) }
}
