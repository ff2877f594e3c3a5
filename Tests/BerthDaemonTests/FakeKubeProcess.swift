import Foundation
import Testing

/// `fake-kube serve` as a child process, for daemon tests that need a real API server while driving the
/// daemon itself in process (with a manual clock, say). The binary sits next to the test bundle.
struct FakeKubeProcess {
    let process: ChildProcess
    /// The kubeconfig fake-kube wrote (admin user).
    let kubeconfig: String

    /// Starts fake-kube on `scenario` (YAML) in `directory` and returns once its kubeconfig exists.
    static func start(scenario: String, in directory: String) async throws -> FakeKubeProcess {
        try scenario.write(toFile: directory + "/scenario.yaml", atomically: true, encoding: .utf8)
        let kubeconfig = directory + "/kubeconfig"
        let binary = products + "/fake-kube"
        // `exec` keeps the PID fake-kube's own, so killAndReap ends the server, not a shell.
        let process = try ChildProcess.spawn([
            "/bin/sh", "-c",
            "exec \"$0\" serve --scenario \"$1\" --kubeconfig-out \"$2\" >\"$3\" 2>&1",
            binary, directory + "/scenario.yaml", kubeconfig, directory + "/fake-kube.log",
        ])
        do {
            // fake-kube writes the kubeconfig once it listens; across processes there is no event to await.
            try await eventually("fake-kube's kubeconfig", within: 30) { FileManager.default.fileExists(atPath: kubeconfig) }
        } catch {
            process.killAndReap()
            throw error
        }
        return FakeKubeProcess(process: process, kubeconfig: kubeconfig)
    }

    /// Ends the server.
    func stop() {
        process.killAndReap()
    }

    /// The build directory holding `fake-kube`: the test bundle's directory, or one of its parents when the
    /// runner puts the bundle's executable inside `X.xctest/`.
    static let products: String = {
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let bundle = URL(fileURLWithPath: executable).deletingLastPathComponent()
        let candidates = (0..<4).map { (0..<$0).reduce(bundle) { url, _ in url.deletingLastPathComponent() } }
        return (candidates.first { FileManager.default.isExecutableFile(atPath: $0.appendingPathComponent("fake-kube").path) } ?? bundle).path
    }()
}
