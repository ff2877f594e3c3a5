import FakeKube
import Foundation
import KubeAPI
import KubeClient
import Logging

/// An in-process FakeKube on 127.0.0.1 with a small scenario, and its kubeconfig in a private temp dir.
/// Every KubeClient integration test starts one of its own, so tests never share server state.
struct FakeKubeFixture: Sendable {
    /// The fake cluster.
    let server: FakeKubeServer
    /// Scratch space for kubeconfigs, token files and plugin scripts; removed at the end.
    let directory: String
    /// The kubeconfig FakeKube wrote (contexts `admin`, `admin-token`, `readonly`).
    let kubeconfig: String

    /// Two namespaces, a Deployment behind a Service with a named targetPort, and a bare pod.
    static let defaultScenario = Scenario(
        namespaces: ["team", "other"],
        deployments: [
            Scenario.Workload(
                name: "web", namespace: "team", replicas: 2, labels: ["app": "web"],
                containers: [
                    Scenario.Container(
                        name: "web", ports: [Scenario.ContainerPort(name: "http", containerPort: 8080, behaviour: .echo)])
                ])
        ],
        services: [
            Scenario.Service(
                name: "web", namespace: "team", selector: ["app": "web"],
                ports: [Scenario.ServicePort(name: "http", port: 80, targetPort: .name("http"))])
        ],
        pods: [
            Scenario.Pod(
                name: "lonely", namespace: "team", labels: ["app": "lonely"],
                containers: [Scenario.Container(name: "main", ports: [Scenario.ContainerPort(containerPort: 7000)])])
        ])

    /// Starts a cluster, runs `body`, and shuts everything down whether `body` throws or not.
    static func with<T: Sendable>(
        scenario: Scenario = defaultScenario, options: FakeKubeServer.Options = FakeKubeServer.Options(),
        _ body: (FakeKubeFixture) async throws -> T
    ) async throws -> T {
        let directory = NSTemporaryDirectory() + "berth-kube-integration-" + UUID().uuidString
        try FileManager.default.createDirectory(
            atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let server = try await startOutsideTheEphemeralRange(scenario: scenario, options: options)
        let fixture = FakeKubeFixture(server: server, directory: directory, kubeconfig: directory + "/kubeconfig")
        do {
            try server.writeKubeconfig(to: fixture.kubeconfig)
            let result = try await body(fixture)
            await fixture.tearDown()
            return result
        } catch {
            await fixture.tearDown()
            throw error
        }
    }

    /// A restart or a partition closes FakeKube's listening socket and binds the same port again later. A port
    /// the kernel hands out for `bind(0)` (32768–60999 here) may be taken meanwhile by any other test's server or
    /// pod, so the fixture listens below that range, on a port only an explicit bind can take, retrying on a clash.
    private static func startOutsideTheEphemeralRange(
        scenario: Scenario, options: FakeKubeServer.Options
    ) async throws -> FakeKubeServer {
        var lastError: FakeKubeError?
        for _ in 0..<20 {
            do {
                return try await FakeKubeServer.start(
                    scenario: scenario, port: Int.random(in: 20_000..<32_000), options: options, logger: quietLogger)
            } catch {
                guard case .apiServerBindFailed = error else { throw error }
                lastError = error
            }
        }
        throw lastError!
    }

    private func tearDown() async {
        await server.shutdown()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// The environment exec plugins see: enough to find `/bin/sh`, nothing from the test runner.
    static let environment = ["PATH": "/usr/bin:/bin", "HOME": NSTemporaryDirectory()]

    /// A client for a context of `kubeconfig` (FakeKube's own unless another file is given), shut down after `body`.
    func withClient<T: Sendable>(
        context: String? = FakeKubeServer.User.admin.rawValue, kubeconfig: String? = nil,
        now: @escaping @Sendable () -> Date = { Date() },
        _ body: (KubeClient) async throws -> T
    ) async throws -> T {
        let configuration = try KubeClientConfiguration.load(
            kubeconfig: kubeconfig ?? self.kubeconfig, context: context, environment: Self.environment)
        return try await Self.withClient(configuration, now: now, body)
    }

    /// A client for a resolved configuration, shut down after `body`.
    static func withClient<T: Sendable>(
        _ configuration: KubeClientConfiguration, now: @escaping @Sendable () -> Date = { Date() },
        _ body: (KubeClient) async throws -> T
    ) async throws -> T {
        let client = try KubeClient(configuration: configuration, environment: environment, now: now, logger: quietLogger)
        do {
            let result = try await body(client)
            try await client.shutdown()
            return result
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    /// Writes a file into the scratch directory (mode 0600, or 0700 for scripts) and returns its path.
    @discardableResult
    func write(_ name: String, _ text: String, executable: Bool = false) throws -> String {
        let path = (directory as NSString).appendingPathComponent(name)
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        // Written beside and renamed over, so a reader sees the old file or the new one, never half of one.
        try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        try FileManager.default.setAttributes([.posixPermissions: executable ? 0o700 : 0o600], ofItemAtPath: path)
        return path
    }

    /// The cluster entry every hand-written kubeconfig of these tests uses: FakeKube's server and CA.
    var clusterYAML: String {
        """
          - name: fake-kube
            cluster:
              server: \(server.serverURL)
              certificate-authority-data: \(Data(server.caCertificatePEM.utf8).base64EncodedString())
        """
    }
}

/// The object key a KubeClient store uses, from FakeKube's JSON.
func storeKey(_ object: JSON) -> String {
    let metadata = object["metadata"]
    let name = metadata?["name"]?.stringValue ?? ""
    return metadata?["namespace"]?.stringValue.map { "\($0)/\(name)" } ?? name
}
