import Foundation
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

/// Runs an exec credential plugin (docs/kubeconfig.md, "Exec credential plugins"): no shell, the user's `PATH`, the
/// parent environment plus `env[]` plus `KUBERNETES_EXEC_INFO`; stderr goes to the user; stdin only when interactive.
struct ExecPluginRunner: Sendable {
    /// The plugin's stdout is a small JSON document; more than this is a broken plugin, not a credential.
    static let maximumOutput = 1 << 20

    var config: ExecConfig
    var user: String
    /// `spec.cluster` when `provideClusterInfo` is set.
    var cluster: ExecInfo.Cluster?
    var environment: [String: String]
    /// How long the plugin may run before berth kills it (kubectl waits forever; a daemon cannot).
    var timeout: Duration = Self.defaultTimeout

    /// Long enough for a plugin that refreshes a token over a slow network, short enough that a hung one is noticed.
    static let defaultTimeout: Duration = .seconds(30)

    func fail(_ message: String) -> KubeClientError {
        .credentials(user: user, message: message)
    }

    /// The executable: relative to the kubeconfig's directory when the command contains a `/`, else looked up in `PATH`.
    func executablePath() throws -> String {
        let command = config.command
        var candidates: [String] = []
        if command.contains("/") {
            candidates = [YAMLEntryReader.resolve(command, against: config.directory)]
        } else {
            let path = environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
            candidates = path.split(separator: ":").map { ($0.isEmpty ? "." : String($0)) + "/" + command }
        }
        if let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) {
            return found
        }
        var message = "exec: executable \(command) not found"
        if let hint = config.installHint, !hint.isEmpty { message += "\n\n\(hint)" }
        throw fail(message)
    }

    func run() async throws -> ExecCredential {
        let terminal = isatty(STDIN_FILENO) == 1
        let interactive = config.interactiveMode != "Never" && terminal
        if config.interactiveMode == "Always" && !terminal {
            throw fail("exec plugin cannot be run interactively (interactiveMode: Always) because standard input is not a terminal")
        }
        let executable = try executablePath()
        var childEnvironment = environment
        for variable in config.env { childEnvironment[variable.name] = variable.value }
        childEnvironment["KUBERNETES_EXEC_INFO"] = ExecInfo(
            apiVersion: config.apiVersion, spec: .init(interactive: interactive, cluster: config.provideClusterInfo ? cluster : nil)
        ).json()
        let plugin = ExecPluginProcess(
            executable: executable, arguments: config.args, environment: childEnvironment, interactive: interactive,
            outputLimit: Self.maximumOutput, timeout: timeout)
        // Process I/O blocks; it runs on NIO's blocking pool, never on the cooperative executor.
        let outcome = try await NIOThreadPool.singleton.runIfActive { plugin.run() }
        let command = config.command
        switch outcome {
        case .couldNotStart(let reason):
            throw fail("exec: executable \(command) could not be started: \(reason)")
        case .outputTooLarge:
            throw fail("exec: executable \(command) wrote more than \(Self.maximumOutput) bytes")
        case .timedOut:
            throw fail("exec: executable \(command) did not finish within \(Self.describe(timeout)); berth stopped it and every process it started")
        case .exited(let status, let signal, let output, let lastErrorLine):
            guard status == 0 && signal == nil else {
                var message = signal.map { "exec: executable \(command) was killed by signal \($0)" }
                    ?? "exec: executable \(command) failed with exit code \(status)"
                if let lastErrorLine { message += ": \(lastErrorLine)" }
                throw fail(message)
            }
            return try ExecCredential.decode(output, config: config, fail: fail)
        }
    }

    /// "30s", or "250ms" for the short timeouts tests use.
    static func describe(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        return attoseconds == 0 ? "\(seconds)s" : "\(seconds * 1000 + attoseconds / 1_000_000_000_000_000)ms"
    }
}
