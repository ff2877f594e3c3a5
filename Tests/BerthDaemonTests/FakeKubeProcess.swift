import BerthDaemon
import BerthTestSupport
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

    /// `kubectl --raw` against fake-kube's admin endpoints (`/fake/v1/…`): a GET, or a POST when `post`.
    /// Runs on a thread of its own: waiting for a process must not hold a cooperative thread.
    func raw(_ path: String, post: Bool = false) async throws -> String {
        let arguments = ["--kubeconfig", kubeconfig] + (post ? ["create", "--raw", path, "-f", "/dev/null"] : ["get", "--raw", path])
        let kubectl = try ReferenceClients.require("kubectl")
        return try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Result {
                    let process = Process()
                    process.executableURL = URL(fileURLWithPath: kubectl)
                    process.arguments = arguments
                    let output = Pipe()
                    process.standardOutput = output
                    process.standardError = FileHandle.nullDevice
                    try process.run()
                    let data = output.fileHandleForReading.readDataToEndOfFile()
                    process.waitUntilExit()
                    guard process.terminationStatus == 0 else { throw KubectlFailed(path: path, status: process.terminationStatus) }
                    return String(decoding: data, as: UTF8.self)
                })
            }
        }
    }

    /// The number of open watches, from fake-kube's stats; nil while it does not answer.
    func openWatches() async -> Int? {
        guard let text = try? await raw("/fake/v1/stats"),
              let stats = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else { return nil }
        return (stats["openWatches"] as? NSNumber)?.intValue
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

/// A `kubectl --raw` call that exited with an error (fake-kube partitioned, say).
struct KubectlFailed: Error {
    var path: String
    var status: Int32
}

/// A manifest of one forward, given by its fields (`name: web`, `pod: web`, …), one per line.
func oneForwardManifest(_ fields: String...) -> String {
    "apiVersion: berth/v1\nkind: Forwards\nforwards:\n  - " + fields.joined(separator: "\n    ") + "\n"
}

/// Starts fake-kube on `scenario`, writes `manifest` next to it, and runs a daemon over it on a manual clock
/// (no network watch) while `body` runs; stops both afterwards.
func withManualClockDaemon(
    scenario: String, manifest: String, _ body: @escaping @Sendable (Daemon, ManualClock, FakeKubeProcess) async throws -> Void
) async throws {
    try await withTemporaryDirectory { dir in
        let cluster = try await FakeKubeProcess.start(scenario: scenario, in: dir)
        defer { cluster.stop() }
        let path = dir + "/forwards.yaml"
        try manifest.write(toFile: path, atomically: true, encoding: .utf8)
        let clock = ManualClock()
        let daemon = Daemon(configuration: DaemonConfiguration(
            source: .files(manifests: [path], envFiles: []), kubeconfig: cluster.kubeconfig, environment: [:],
            logger: quietLogger, clock: clock, watchNetwork: false))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await daemon.run() }
            defer { daemon.stop() }
            try await body(daemon, clock, cluster)
        }
    }
}
