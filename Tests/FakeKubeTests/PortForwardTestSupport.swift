import BerthTestSupport
import FakeKube
import Foundation
import NIOCore
import NIOPosix
import Synchronization

/// The pod every loopback test forwards to: port 80 is a real echo server, other ports refuse.
struct EchoPodFixture {
    let echo: LoopbackEchoServer
    let server: PortForwardLoopbackServer

    static func start() async throws -> EchoPodFixture {
        let echo = try await LoopbackEchoServer.start()
        let address = echo.address
        let pod = PortForwardPod(namespace: "default", name: "echo-pod", uid: "uid-echo") { port in
            port == 80 ? address : nil
        }
        let server = try await PortForwardLoopbackServer.start(pods: [pod], forbidden: ["secret-pod"])
        return EchoPodFixture(echo: echo, server: server)
    }

    func shutdown() async throws {
        try await server.shutdown()
        try await echo.shutdown()
    }
}

/// A running `kubectl port-forward pod/echo-pod :80` against a loopback server, with its own HOME and cache.
final class KubectlPortForward: Sendable {
    let localPort: Int
    private let process: Process
    private let directory: URL

    private init(process: Process, localPort: Int, directory: URL) {
        self.process = process
        self.localPort = localPort
        self.directory = directory
    }

    /// Writes a kubeconfig for `server` into a fresh directory that also serves as HOME and cache.
    static func makeHome(server: String) throws -> (directory: URL, kubeconfig: URL) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("berth-kubectl-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let kubeconfig = directory.appendingPathComponent("kubeconfig")
        try """
        apiVersion: v1
        kind: Config
        clusters:
        - name: fake
          cluster:
            server: \(server)
        users:
        - name: tester
          user: {}
        contexts:
        - name: fake
          context: {cluster: fake, user: tester, namespace: default}
        current-context: fake
        """.write(to: kubeconfig, atomically: true, encoding: .utf8)
        return (directory, kubeconfig)
    }

    /// Runs `kubectl port-forward pod/POD :80` that is expected to fail, and returns its exit status and stderr.
    static func runToFailure(kubectl: String, server: String, pod: String) async throws -> (status: Int32, stderr: String) {
        try await offCooperativePool { try runToFailureBlocking(kubectl: kubectl, server: server, pod: pod) }
    }

    private static func runToFailureBlocking(kubectl: String, server: String, pod: String) throws -> (status: Int32, stderr: String) {
        let (directory, kubeconfig) = try makeHome(server: server)
        defer { try? FileManager.default.removeItem(at: directory) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: kubectl)
        process.arguments = [
            "--kubeconfig", kubeconfig.path, "--cache-dir", directory.appendingPathComponent("cache").path,
            "--request-timeout", "20s", "port-forward", "--address", "127.0.0.1", "pod/\(pod)", ":80",
        ]
        process.environment = ["HOME": directory.path, "PATH": "/usr/bin:/bin"]
        let stderr = Pipe()
        process.standardError = stderr
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        // EOF on stderr is the process ending; the suite's time limit bounds a hang.
        let text = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, text)
    }

    static func start(kubectl: String, server: String, environment: [String: String] = [:]) async throws -> KubectlPortForward {
        let (directory, kubeconfig) = try makeHome(server: server)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: kubectl)
        process.arguments = [
            "--kubeconfig", kubeconfig.path, "--cache-dir", directory.appendingPathComponent("cache").path,
            "port-forward", "--address", "127.0.0.1", "pod/echo-pod", ":80",
        ]
        var env = ["HOME": directory.path, "PATH": "/usr/bin:/bin"]
        env.merge(environment) { $1 }
        process.environment = env
        let stdout = Pipe()
        process.standardOutput = stdout
        process.standardError = FileHandle.nullDevice

        let (lines, continuation) = AsyncStream.makeStream(of: String.self)
        let reader = chunks(of: stdout.fileHandleForReading)
        Task {
            var text = ""
            for await data in reader {
                text += String(decoding: data, as: UTF8.self)
                var parts = text.components(separatedBy: "\n")
                text = parts.removeLast()
                for line in parts { continuation.yield(line) }
            }
            continuation.finish()
        }
        try process.run()

        // kubectl prints "Forwarding from 127.0.0.1:PORT -> 80" once it listens: that is the ready event.
        let port = try await withThrowingTaskGroup(of: Int?.self) { group in
            group.addTask {
                for await line in lines where line.hasPrefix("Forwarding from 127.0.0.1:") {
                    let rest = line.dropFirst("Forwarding from 127.0.0.1:".count)
                    return Int(rest.prefix { $0.isNumber })
                }
                return nil
            }
            group.addTask {
                try await Task.sleep(for: .seconds(30))  // a deadline, not synchronisation
                return nil
            }
            let first = try await group.next() ?? nil
            group.cancelAll()
            return first
        }
        guard let port else {
            process.terminate()
            throw KubectlError.notReady(kubectl)
        }
        return KubectlPortForward(process: process, localPort: port, directory: directory)
    }

    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: directory)
    }
}

enum KubectlError: Error {
    case notReady(String)
}

/// Runs blocking work (waiting for a child process, reading a pipe to EOF) on a thread of its own.
/// Swift concurrency's cooperative pool has one thread per core; blocking one of them starves every
/// other test running in parallel (their timeouts then fire for no fault of their own).
func offCooperativePool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread {
            continuation.resume(with: Result { try body() })
        }
    }
}
