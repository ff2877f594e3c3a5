import FakeKube
import Foundation
import Logging

/// The demo's world: FakeKube in this process with the demo scenario, and a private temporary directory
/// holding its kubeconfig (credentials, mode 0600) and the manifest berth runs.
struct DemoCluster: Sendable {
    /// The running fake cluster.
    let server: FakeKubeServer
    /// The parsed demo scenario (which pod port speaks what).
    let scenario: Scenario
    /// The temporary directory, removed by `shutdown()`.
    let directory: URL

    /// The kubeconfig path inside `directory`.
    var kubeconfig: String { directory.appendingPathComponent("kubeconfig").path }
    /// The manifest path inside `directory`.
    var manifest: String { directory.appendingPathComponent("forwards.yaml").path }

    /// Starts the cluster and writes the kubeconfig and the manifest.
    static func start(logger: Logger) async throws(DemoError) -> DemoCluster {
        let scenario: Scenario
        do {
            scenario = try Scenario.parse(yaml: DemoResources.clusterYAML, path: "examples/demo-cluster.yaml")
        } catch {
            throw .scenarioInvalid(reason: "\(error)")
        }
        let server: FakeKubeServer
        do {
            server = try await FakeKubeServer.start(scenario: scenario, logger: logger)
        } catch {
            throw .clusterStartFailed(reason: "\(error)")
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("berth-demo-\(UUID().uuidString)")
        let cluster = DemoCluster(server: server, scenario: scenario, directory: directory)
        do {
            // The directory holds a kubeconfig with a client key: only its owner may enter it.
            try FileManager.default.createDirectory(
                at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            try server.writeKubeconfig(to: cluster.kubeconfig)
            try Data(DemoResources.forwardsYAML.utf8).write(to: URL(fileURLWithPath: cluster.manifest))
        } catch {
            await cluster.shutdown()
            throw .workspaceFailed(path: directory.path, reason: "\(error)")
        }
        return cluster
    }

    /// Deletes, at once (`--force --grace-period=0`), every pod that a Deployment or StatefulSet will replace.
    /// Bare pods are left alone: nothing would bring them back. Returns the names deleted.
    func deleteReplaceablePods() async -> [String] {
        var deleted: [String] = []
        for pod in server.objects(.pods) {
            let metadata = pod["metadata"]
            guard let name = metadata?["name"]?.stringValue, let namespace = metadata?["namespace"]?.stringValue,
                  let owners = metadata?["ownerReferences"]?.arrayValue, !owners.isEmpty,
                  metadata?["deletionTimestamp"]?.stringValue == nil
            else { continue }
            // A pod already gone (deleted by someone else meanwhile) is not an error for the demo.
            if (try? await server.deletePod(namespace: namespace, name: name, force: true)) != nil {
                deleted.append("\(namespace)/\(name)")
            }
        }
        return deleted
    }

    /// Stops the cluster and removes the directory.
    func shutdown() async {
        await server.shutdown()
        try? FileManager.default.removeItem(at: directory)
    }
}
