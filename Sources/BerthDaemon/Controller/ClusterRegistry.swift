import BerthMetrics
import Foundation
import KubeClient
import KubePortForward
import Logging
import Synchronization

/// One `KubeClient` per (kubeconfig, context) for the whole daemon, and the cluster id informers are keyed by.
///
/// The async lookup goes through `KubeClientRegistry`; the resolved clients are also kept here by cluster id
/// so informer factories, which must build lister-watchers synchronously, can find them.
public final class ClusterRegistry: Sendable {
    /// A resolved cluster: its id (the context name) and client.
    public struct Cluster: Sendable {
        /// The kubeconfig context name; the `cluster` of every `InformerKey` for it.
        public let id: String
        /// The shared client.
        public let client: KubeClient
        /// What the port-forward dialer needs: server, TLS and credentials.
        public var connectionInfo: ClusterConnectionInfo { client.connectionInfo }
    }

    private let registry: KubeClientRegistry
    private let kubeconfig: String?
    private let contextOverride: String?
    private let kubeconfigFiles: [String]
    private let clients = Mutex<[String: KubeClient]>([:])
    /// The last answer per requested context, with the kubeconfig files' stamps it was read from.
    private let resolved = Mutex<[String?: (stamps: [KubeconfigStamp?], cluster: Cluster)]>([:])
    /// The TLS contexts of every port-forward stream the daemon opens, shared across forwards.
    public let tlsContexts = TLSContextCache()
    /// The multiplexed port-forward sessions of every forward, shared per pod (docs/port-forward.md).
    public let sessions: SessionPool
    /// What `transport: auto` found to work, per cluster.
    public let transports = TransportMemory()
    /// Where every client of the registry counts its requests (a watch once, when it starts).
    public let metrics: APIMetrics

    /// Creates a registry.
    /// - Parameters:
    ///   - kubeconfig: an explicit kubeconfig path; nil means `KUBECONFIG` or `~/.kube/config`.
    ///   - context: replaces the kubeconfig's `current-context` for forwards that name no context.
    ///   - sessions: the settings of the port-forward session pool.
    ///   - metrics: where the clients count their requests.
    public init(
        kubeconfig: String?, context: String?, environment: [String: String], sessions: SessionSettings = SessionSettings(),
        metrics: APIMetrics = APIMetrics(), logger: Logger
    ) {
        self.sessions = SessionPool(settings: sessions, logger: logger)
        self.registry = KubeClientRegistry(environment: environment, metrics: metrics, logger: logger)
        self.metrics = metrics
        self.kubeconfig = kubeconfig
        self.contextOverride = context
        self.kubeconfigFiles = KubeconfigLoader(explicitPath: kubeconfig, environment: environment).candidatePaths
    }

    /// The cluster for a forward's `context` (nil: the override, else the current context).
    /// - Throws: `KubeClientError.kubeconfig` / `.credentials` when the kubeconfig cannot be used.
    public func cluster(context: String?) async throws -> Cluster {
        // Every reconcile asks; reading and parsing the kubeconfig each time was a sixth of the CPU of
        // starting 1,000 forwards. Unchanged files (same stamps) give the same answer, so it is reused.
        let stamps = kubeconfigFiles.map(KubeconfigStamp.init(path:))
        if let cached = resolved.withLock({ $0[context] }), cached.stamps == stamps {
            return cached.cluster
        }
        let client = try await registry.client(kubeconfig: kubeconfig, context: context ?? contextOverride)
        let id = client.configuration.contextName
        clients.withLock { $0[id] = client }
        let cluster = Cluster(id: id, client: client)
        if stamps.allSatisfy({ $0?.isSettled ?? true }) {
            resolved.withLock { $0[context] = (stamps, cluster) }
        }
        return cluster
    }

    /// A client already resolved by `cluster(context:)`.
    public func resolvedClient(_ id: String) -> KubeClient? {
        clients.withLock { $0[id] }
    }

    /// Every client resolved so far (for the network settle probe).
    public var resolvedClients: [KubeClient] {
        clients.withLock { Array($0.values) }
    }

    /// Closes every port-forward session and shuts every client down.
    public func shutdown() async {
        sessions.shutdown()
        await registry.shutdown()
    }
}
