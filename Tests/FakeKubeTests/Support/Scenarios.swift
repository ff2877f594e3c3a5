import FakeKube
import Foundation

/// Scenarios shared by the API server tests.
enum TestScenarios {
    /// A Deployment `web` (2 pods, named http port) behind Service `web`, a StatefulSet `db` (2 pods) and a
    /// bare pod `lone` in namespace `other`. Delays are short so that tests await events quickly.
    static let small = Scenario(
        namespaces: ["default", "other"],
        deployments: [
            .init(
                name: "web", replicas: 2, labels: ["app": "web"],
                containers: [.init(name: "web", ports: [.init(name: "http", containerPort: 8080, behaviour: .http)])],
                readinessDelay: 0.2, replacementDelay: 0.1)
        ],
        statefulsets: [
            .init(
                name: "db", replicas: 2, labels: ["app": "db"],
                containers: [.init(name: "db", ports: [.init(name: "pg", containerPort: 5432, behaviour: .echo)])],
                readinessDelay: 0.1, replacementDelay: 0.1)
        ],
        services: [
            .init(name: "web", selector: ["app": "web"], ports: [.init(name: "http", port: 80, targetPort: .name("http"))])
        ],
        pods: [
            .init(
                name: "lone", namespace: "other", labels: ["app": "lone", "tier": "tools"],
                containers: [.init(name: "c", ports: [
                    .init(name: "echo", containerPort: 7000, behaviour: .echo),
                    .init(name: "src", containerPort: 7001, behaviour: .source),
                ])])
        ])

    /// The repository's `examples/demo-cluster.yaml`.
    static var demoPath: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("examples/demo-cluster.yaml").path
    }
}

/// Runs `body` against a fresh cluster and shuts it down afterwards, also when `body` throws.
func withServer(
    _ scenario: Scenario = TestScenarios.small, options: FakeKubeServer.Options = .init(),
    _ body: (FakeKubeServer) async throws -> Void
) async throws {
    let server = try await FakeKubeServer.start(scenario: scenario, options: options)
    do {
        try await body(server)
    } catch {
        await server.shutdown()
        throw error
    }
    await server.shutdown()
}
