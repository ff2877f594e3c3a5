import BerthMetrics
import Foundation
import Logging

/// Shares one `KubeClient` per (kubeconfig, context) across a process (docs/architecture.md, invariant 3: watches and
/// connections are shared). Clients live until `shutdown()`.
public actor KubeClientRegistry {
    private struct Key: Hashable {
        var files: [String]
        var context: String
    }

    private let environment: [String: String]
    private let logger: Logger
    private let metrics: APIMetrics
    private var clients: [Key: KubeClient] = [:]

    /// Creates a registry whose clients count their requests in `metrics`.
    public init(
        environment: [String: String] = ProcessInfo.processInfo.environment, metrics: APIMetrics = APIMetrics(), logger: Logger
    ) {
        self.environment = environment
        self.metrics = metrics
        self.logger = logger
    }

    /// The client for a kubeconfig (`nil`: `KUBECONFIG` or `~/.kube/config`, else in-cluster) and a context
    /// (`nil`: the current context). The kubeconfig is read on every call so a new context is found; an existing
    /// client is reused for a key already seen.
    public func client(kubeconfig: String? = nil, context: String? = nil) throws -> KubeClient {
        let configuration = try KubeClientConfiguration.load(kubeconfig: kubeconfig, context: context, environment: environment)
        let key = Key(files: KubeconfigLoader(explicitPath: kubeconfig, environment: environment).candidatePaths, context: configuration.contextName)
        if let existing = clients[key] { return existing }
        let client = try KubeClient(configuration: configuration, environment: environment, metrics: metrics, logger: logger)
        clients[key] = client
        return client
    }

    /// Shuts every client down.
    public func shutdown() async {
        let all = clients.values
        clients = [:]
        for client in all {
            do {
                try await client.shutdown()
            } catch {
                logger.warning("kube client shutdown failed", metadata: ["error": "\(error)"])
            }
        }
    }
}
