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
        let processEnvironment = childEnvironment
        let arguments = config.args
        let command = config.command
        let limit = Self.maximumOutput
        // Process I/O blocks; it runs on NIO's blocking pool, never on the cooperative executor.
        let outcome: Result<(status: Int32, output: [UInt8]), KubeClientError> = try await NIOThreadPool.singleton.runIfActive {
            () -> Result<(status: Int32, output: [UInt8]), KubeClientError> in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
            process.environment = processEnvironment
            process.standardInput = interactive ? FileHandle.standardInput : FileHandle.nullDevice
            process.standardError = FileHandle.standardError
            let pipe = Pipe()
            process.standardOutput = pipe
            do {
                try process.run()
            } catch {
                return .failure(.credentials(user: "", message: "exec: executable \(command) could not be started: \(error.localizedDescription)"))
            }
            var output: [UInt8] = []
            let reader = pipe.fileHandleForReading
            while let chunk = try? reader.read(upToCount: 64 * 1024), !chunk.isEmpty {
                output += chunk
                if output.count > limit {
                    process.terminate()
                    break
                }
            }
            process.waitUntilExit()
            if output.count > limit {
                return .failure(.credentials(user: "", message: "exec: executable \(command) wrote more than \(limit) bytes"))
            }
            return .success((process.terminationStatus, output))
        }
        switch outcome {
        case .failure(.credentials(_, let message)):
            throw fail(message)
        case .failure(let error):
            throw error
        case .success(let result):
            guard result.status == 0 else {
                throw fail("exec: executable \(command) failed with exit code \(result.status)")
            }
            return try ExecCredential.decode(result.output, config: config, fail: fail)
        }
    }
}
