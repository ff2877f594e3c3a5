import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// A fake Kubernetes cluster in this process: an HTTPS API server on 127.0.0.1 that speaks the real wire
/// protocols, simulated workloads whose pods are real local TCP servers, and chaos controls. Tests and
/// `berth demo` drive it through this object; `fake-kube serve` wraps it in a process.
public final class FakeKubeServer: Sendable {
    /// Tunables, mostly for tests.
    public struct Options: Sendable {
        /// How often a watch that asked for bookmarks gets one.
        public var bookmarkInterval: Duration
        /// How many events the store keeps for watch replay.
        public var historyLimit: Int
        /// How long a pod created through the API (`POST …/pods`) stays Pending before it is Running and Ready.
        public var createdPodStartDelay: Duration

        /// Defaults: a bookmark a minute, 2 000 events of history, created pods Ready after 100 ms.
        public init(
            bookmarkInterval: Duration = .seconds(60), historyLimit: Int = 2_000,
            createdPodStartDelay: Duration = .milliseconds(100)
        ) {
            self.bookmarkInterval = bookmarkInterval
            self.historyLimit = historyLimit
            self.createdPodStartDelay = createdPodStartDelay
        }
    }

    /// The users of the generated kubeconfig (each also names a context).
    public enum User: String, Sendable, CaseIterable {
        /// The administrator, authenticated by client certificate.
        case admin
        /// The administrator, authenticated by bearer token.
        case adminToken = "admin-token"
        /// May read everything; forbidden `pods/portforward` and every write.
        case readonly
        /// May read everything and port-forward; forbidden every write (creating a pod among them).
        case forwarder
        /// May do everything inside a namespace; forbidden at the cluster scope (listing pods across namespaces).
        case namespaced
    }

    private struct Listener: ~Copyable {
        var channel: (any Channel)?
        var connections: [ObjectIdentifier: any Channel] = [:]
        var port: Int
        var shutDown = false
        /// Between a restart's close and its listening again: a connection the closing listener still
        /// accepted is refused, so nothing gets through a partition.
        var relistening = false
        var rebind: Scheduled<Void>?
    }

    /// The object store (every object, its history and watchers).
    public let store: ObjectStore
    /// The port-forward sessions, for the port-forward layer and its chaos.
    public let portForwardRegistry: PortForwardRegistry

    let simulation: ClusterSimulation
    let certificates: ClusterCertificates
    let users: Users
    let chaosState = ChaosState()
    let requestCounters = RequestCounters()
    private let group: any EventLoopGroup
    private let sslContext: NIOSSLContext
    private let logger: Logger
    private let listener: Mutex<Listener>
    private let core = Mutex<APIServerCore?>(nil)

    private init(
        store: ObjectStore, simulation: ClusterSimulation, certificates: ClusterCertificates, sslContext: NIOSSLContext,
        group: any EventLoopGroup, logger: Logger, port: Int
    ) {
        self.store = store
        self.simulation = simulation
        self.certificates = certificates
        self.sslContext = sslContext
        self.group = group
        self.logger = logger
        self.users = Users.generate()
        self.portForwardRegistry = PortForwardRegistry()
        self.listener = Mutex(Listener(port: port))
    }

    /// Starts a cluster with the scenario's objects on `127.0.0.1:port` (0 picks a free port). Returns
    /// once the API server listens and every initial pod is Running and Ready.
    public static func start(
        scenario: Scenario, port: Int = 0, options: Options = Options(),
        logger: Logger = Logger(label: "fake-kube")
    ) async throws(FakeKubeError) -> FakeKubeServer {
        let group = MultiThreadedEventLoopGroup.singleton
        let certificates = try ClusterCertificates.generate()
        let sslContext: NIOSSLContext
        do {
            sslContext = try NIOSSLContext(configuration: try certificates.serverTLSConfiguration())
        } catch let error as FakeKubeError {
            throw error
        } catch {
            throw .certificateGenerationFailed(reason: "\(error)")
        }
        let store = ObjectStore(historyLimit: options.historyLimit)
        let simulation = ClusterSimulation(
            store: store, loop: group.next(), servers: PodServers(group: group), logger: logger,
            createdPodStartDelay: Double(options.createdPodStartDelay.components.seconds)
                + Double(options.createdPodStartDelay.components.attoseconds) / 1e18)
        let server = FakeKubeServer(
            store: store, simulation: simulation, certificates: certificates, sslContext: sslContext, group: group,
            logger: logger, port: port)
        server.installCore(options: options)
        do {
            try await simulation.load(scenario).get()
        } catch {
            simulation.shutdown()
            throw (error as? FakeKubeError) ?? .podServerBindFailed(pod: "scenario", containerPort: 0, reason: "\(error)")
        }
        do {
            try await server.bind()
        } catch {
            simulation.shutdown()
            throw error
        }
        logger.info("fake cluster ready", metadata: ["url": "\(server.serverURL)"])
        return server
    }

    private func installCore(options: Options) {
        let actions = APIServerCore.ServerActions(
            restart: { [weak self] in self?.restartAPIServer(after: 0) },
            partition: { [weak self] seconds in self?.restartAPIServer(after: seconds) },
            stats: { [weak self] in self?.stats() ?? FakeKubeStats(requests: [:], openWatches: 0, openPortForwardSessions: 0, openPortForwardStreams: 0, openConnections: 0) },
            serverAddress: { [weak self] in "127.0.0.1:\(self?.port ?? 0)" })
        let core = APIServerCore(
            store: store, simulation: simulation, chaos: chaosState, counters: requestCounters, users: users,
            registry: portForwardRegistry, actions: actions, bookmarkInterval: options.bookmarkInterval)
        self.core.withLock { $0 = core }
        let registry = portForwardRegistry
        simulation.onPodGone { uid in registry.closeAll(podUID: uid) }
    }

    private var apiCore: APIServerCore { core.withLock { $0! } }

    // MARK: Listening

    private func bind() async throws(FakeKubeError) {
        let port = listener.withLock { $0.port }
        do {
            try await bindListener().get()
        } catch {
            throw .apiServerBindFailed(port: port, reason: "\(error)")
        }
    }

    private func bindListener() -> EventLoopFuture<Void> {
        let port = listener.withLock { $0.port }
        let core = apiCore
        let users = self.users
        let registry = portForwardRegistry
        let sslContext = self.sslContext
        let admit: PortForwardAdmit = { head, channel in
            let user = users.authenticate(headers: head.headers, channel: channel)
            let path = String(head.uri.split(separator: "?", maxSplits: 1).first ?? "")
            guard case .subresource(.pods, let namespace?, let name, "portforward") = Route(path: path) else {
                return .reject(status: .notFound, statusJSON: APIStatus.unknownPath.serialized())
            }
            return core.admitPortForward(user: user, method: head.method, namespace: namespace, name: name)
        }
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.backlog, value: 256)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { [weak self] channel in
                guard let self, self.track(channel) else { return channel.close() }
                let chaos = self.chaosState
                return channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    try sync.addHandler(LinkDelayHandler(oneWayDelay: { chaos.oneWayDelay() }))
                    try sync.addHandler(NIOSSLServerHandler(context: sslContext))
                    try sync.configureFakeKubeHTTP(
                        registry: registry, admit: admit, apiHandler: APIConnectionHandler(core: core))
                }
            }
        return bootstrap.bind(host: "127.0.0.1", port: port).map { channel in
            let bound = channel.localAddress?.port ?? port
            let keep = self.listener.withLock { state -> Bool in
                guard !state.shutDown else { return false }
                state.channel = channel
                state.port = bound
                state.relistening = false
                state.rebind = nil
                return true
            }
            if !keep { channel.close(promise: nil) }
        }
    }

    private func track(_ channel: any Channel) -> Bool {
        let accepted = listener.withLock { state -> Bool in
            guard !state.shutDown, !state.relistening else { return false }
            state.connections[ObjectIdentifier(channel)] = channel
            return true
        }
        if accepted {
            channel.closeFuture.whenComplete { [weak self] _ in
                _ = self?.listener.withLock { $0.connections.removeValue(forKey: ObjectIdentifier(channel)) }
            }
        }
        return accepted
    }

    /// Closes the listening socket and every connection, and listens again on the same port after
    /// `seconds` (0: a restart; more: a partition during which connections are refused).
    func restartAPIServer(after seconds: Double) {
        let (channel, connections) = listener.withLock { state -> ((any Channel)?, [any Channel]) in
            let channel = state.channel
            state.channel = nil
            state.relistening = true
            let connections = Array(state.connections.values)
            state.connections = [:]
            return (channel, connections)
        }
        logger.info("API server connections closed", metadata: ["relistenAfterSeconds": "\(seconds)"])
        let loop = group.next()
        // The connections go first and their watches after: a watch ended cleanly on a connection still open
        // would be asked for again on it, and answered, inside the partition.
        let closing = ([channel].compactMap { $0 } + connections).map { $0.close() }
        EventLoopFuture.andAllComplete(closing, on: loop).whenComplete { [weak self] _ in
            guard let self else { return }
            self.store.closeAllWatches()
            self.listener.withLock { state in
                guard !state.shutDown else { return }
                state.rebind = loop.scheduleTask(in: .nanoseconds(Int64(seconds * 1e9))) { [weak self] in
                    self?.relisten()
                }
            }
        }
    }

    private func relisten() {
        bindListener().whenFailure { [logger] error in
            logger.error("API server could not listen again", metadata: ["error": "\(error)"])
        }
    }

    // MARK: Public information

    /// The port the API server listens on.
    public var port: Int { listener.withLock { $0.port } }

    /// `https://127.0.0.1:PORT`.
    public var serverURL: String { "https://127.0.0.1:\(port)" }

    /// The CA that signed the serving and client certificates (PEM).
    public var caCertificatePEM: String { certificates.ca.certificatePEM }

    /// The `admin` user's client certificate (PEM).
    public var adminClientCertificatePEM: String { certificates.adminClient.certificatePEM }

    /// The `admin` user's client key (PEM).
    public var adminClientKeyPEM: String { certificates.adminClient.privateKeyPEM }

    /// The bearer token of `admin-token`.
    public var adminToken: String { users.adminToken }

    /// The bearer token of `readonly`.
    public var readonlyToken: String { users.readonlyToken }

    /// The bearer token of `forwarder`.
    public var forwarderToken: String { users.forwarderToken }

    /// The bearer token of `namespaced`.
    public var namespacedToken: String { users.namespacedToken }

    /// One object as the API serves it (without kind/apiVersion), or nil.
    public func object(_ resource: ResourceKind, namespace: String, name: String) -> JSON? {
        store.get(resource, namespace: resource.namespaced ? namespace : "", name: name)
    }

    /// Every object of a resource in a namespace (all namespaces when nil).
    public func objects(_ resource: ResourceKind, namespace: String? = nil) -> [JSON] {
        store.list(resource, namespace: namespace).items
    }

    /// The local TCP address behind a pod's container port, or nil when there is none.
    public func localAddress(namespace: String, pod: String, containerPort: Int) -> SocketAddress? {
        guard let uid = object(.pods, namespace: namespace, name: pod)?["metadata"]?["uid"]?.stringValue else { return nil }
        return simulation.localAddress(podUID: uid, containerPort: containerPort)
    }

    /// The local UDP address behind a pod's UDP container port, or nil when there is none.
    public func udpAddress(namespace: String, pod: String, containerPort: Int) -> SocketAddress? {
        guard let uid = object(.pods, namespace: namespace, name: pod)?["metadata"]?["uid"]?.stringValue else { return nil }
        return simulation.servers.udpAddress(podUID: uid, containerPort: containerPort)
    }

    /// Counters and open streams, as `GET /fake/v1/stats` reports them.
    public func stats() -> FakeKubeStats {
        FakeKubeStats(
            requests: requestCounters.snapshot, openWatches: store.openWatches,
            openPortForwardSessions: portForwardRegistry.openSessions,
            openPortForwardStreams: portForwardRegistry.openStreams,
            totalPortForwardSessions: portForwardRegistry.totalSessions,
            portForwardStreamsPerSession: portForwardRegistry.sessions.map(\.streams),
            openConnections: listener.withLock { $0.connections.count })
    }

    /// Stops the cluster: the API server, every connection and every pod server.
    public func shutdown() async {
        let (channel, connections, rebind) = listener.withLock { state -> ((any Channel)?, [any Channel], Scheduled<Void>?) in
            state.shutDown = true
            let result = (state.channel, Array(state.connections.values), state.rebind)
            state.channel = nil
            state.connections = [:]
            return result
        }
        rebind?.cancel()
        store.closeAllWatches()
        portForwardRegistry.closeAll()
        for connection in connections { try? await connection.close() }
        try? await channel?.close()
        simulation.shutdown()
    }
}
