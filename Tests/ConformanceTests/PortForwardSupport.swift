import Foundation
import NIOCore
import NIOPosix

/// A running `kubectl port-forward` against the full FakeKube, in a HOME and discovery cache of its own.
struct KubectlPortForward {
    let process: ExternalProcess
    /// The local port kubectl listens on (it was asked for port 0 and picked one).
    let localPort: Int
    /// The remote (container) port kubectl reported.
    let remotePort: Int

    /// Arguments and a fresh HOME/cache for one kubectl run, so no run sees another's discovery cache.
    static func isolatedRun(
        _ cluster: ConformanceCluster, context: String, _ arguments: [String]
    ) throws -> (home: URL, arguments: [String]) {
        let home = cluster.scratch.appendingPathComponent("kubectl-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        let all = [
            "--kubeconfig", cluster.kubeconfig, "--context", context,
            "--cache-dir", home.appendingPathComponent("cache").path, "--request-timeout", "20s",
        ] + arguments
        return (home, all)
    }

    /// Starts kubectl and returns once it printed `Forwarding from 127.0.0.1:PORT -> REMOTE`, its ready line.
    static func start(
        _ kubectl: String, _ cluster: ConformanceCluster, context: String = "admin", environment: [String: String],
        _ arguments: [String]
    ) async throws -> KubectlPortForward {
        let (home, all) = try isolatedRun(cluster, context: context, arguments)
        let process = try ExternalProcess(kubectl, all, home: home, environment: environment)
        let lines = process.lines
        let ports = try await withThrowingTaskGroup(of: (Int, Int)?.self) { group in
            group.addTask {
                let prefix = "Forwarding from 127.0.0.1:"
                for await line in lines where line.hasPrefix(prefix) {
                    let parts = line.dropFirst(prefix.count).split(separator: " ")
                    guard let local = parts.first.flatMap({ Int($0) }), let remote = parts.last.flatMap({ Int($0) })
                    else { return nil }
                    return (local, remote)
                }
                return nil
            }
            group.addTask {
                try await Task.sleep(for: .seconds(30))  // a deadline for the ready line, not synchronisation
                return nil
            }
            defer { group.cancelAll() }
            return try await group.next() ?? nil
        }
        guard let ports else {
            process.terminate()
            let result = await process.wait(timeout: .seconds(5))
            throw PortForwardTestError.kubectlNotReady(stderr: result.stderr)
        }
        return KubectlPortForward(process: process, localPort: ports.0, remotePort: ports.1)
    }

    /// Ends kubectl and returns what it wrote.
    func stop() async -> ExternalProcess.Result {
        process.terminate()
        return await process.wait(timeout: .seconds(10))
    }
}

enum PortForwardTestError: Error, CustomStringConvertible {
    case kubectlNotReady(stderr: String)

    var description: String {
        switch self {
        case .kubectlNotReady(let stderr): "kubectl never printed its Forwarding line: \(stderr)"
        }
    }
}

