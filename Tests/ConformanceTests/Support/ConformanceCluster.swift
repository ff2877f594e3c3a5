import FakeKube
import Foundation

/// A fake cluster with the demo scenario, a kubeconfig on disk and a scratch HOME, for one test.
struct ConformanceCluster {
    let server: FakeKubeServer
    let scratch: URL
    let kubeconfig: String

    static var demoScenarioPath: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("examples/demo-cluster.yaml").path
    }

    static func with(_ body: (ConformanceCluster) async throws -> Void) async throws {
        let scratch = try makeScratchDirectory()
        let server = try await FakeKubeServer.start(scenario: try Scenario.load(path: demoScenarioPath))
        let kubeconfig = scratch.appendingPathComponent("kubeconfig").path
        let cluster = ConformanceCluster(server: server, scratch: scratch, kubeconfig: kubeconfig)
        do {
            try server.writeKubeconfig(to: kubeconfig)
            try await body(cluster)
        } catch {
            await server.shutdown()
            try? FileManager.default.removeItem(at: scratch)
            throw error
        }
        await server.shutdown()
        try? FileManager.default.removeItem(at: scratch)
    }

    /// kubectl arguments that isolate this test: its kubeconfig and its own discovery cache.
    func kubectlArguments(_ arguments: [String], context: String = "admin") -> [String] {
        ["--kubeconfig", kubeconfig, "--context", context, "--cache-dir", scratch.appendingPathComponent("cache").path,
         "--request-timeout", "20s"] + arguments
    }

    func kubectl(_ binary: String, _ arguments: [String], context: String = "admin") async throws -> ExternalProcess.Result {
        try await ExternalProcess.run(binary, kubectlArguments(arguments, context: context), home: scratch)
    }
}
