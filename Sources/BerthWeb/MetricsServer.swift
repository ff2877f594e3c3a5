import BerthMetrics
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// `GET /metrics` of `berth up --metrics` (docs/metrics.md): the daemon's registry in the Prometheus text
/// format, served by Hummingbird. A `Service`, so `berth up` runs it beside the daemon in its one group.
public struct MetricsServer: Service, CustomStringConvertible {
    /// Where it listens.
    public let address: ListenAddress
    let metrics: BerthMetrics
    let logger: Logger
    /// Told the URL of `/metrics` once the socket is bound (with the port the system chose for port 0).
    let onListening: @Sendable (String) async -> Void

    /// A server of `metrics` on `address`; nothing listens until `run()`.
    public init(
        address: ListenAddress, metrics: BerthMetrics, logger: Logger, onListening: @escaping @Sendable (String) async -> Void = { _ in }
    ) {
        self.address = address
        self.metrics = metrics
        self.logger = logger
        self.onListening = onListening
    }

    /// The part's name in the group's log lines.
    public var description: String { "metrics server" }

    /// Serves until the group shuts down.
    /// - Throws: ``MetricsServerError`` when the address cannot be listened on (the port is taken, say).
    public func run() async throws {
        let router = Router()
        // No token (Prometheus scrapes it), but the same Host and Origin rules as the dashboard's.
        router.middlewares.add(RequestGuard(token: nil, hosts: HostRule(listening: address)))
        let metrics = self.metrics
        router.get("/metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: BerthMetrics.contentType],
                body: .init(byteBuffer: ByteBuffer(string: metrics.exposition())))
        }
        let address = self.address
        let logger = self.logger
        let onListening = self.onListening
        let listening = ListeningFlag()
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(address.host, port: address.port), serverName: nil),
            onServerRunning: { channel in
                listening.value.store(true, ordering: .relaxed)
                let url = "http://\(address.authority(port: channel.localAddress?.port ?? address.port))/metrics"
                logger.info("metrics listening", metadata: ["url": "\(url)"])
                await onListening(url)
            },
            logger: logger)
        do {
            try await app.run()
        } catch {
            // Before it listens, a failure is the address's (taken, or not this machine's): say which one.
            guard !listening.value.load(ordering: .relaxed) else { throw error }
            throw MetricsServerError(address: address, reason: "\(error)")
        }
    }
}

/// `berth up --metrics` could not serve its address.
public struct MetricsServerError: Error, CustomStringConvertible {
    /// The address it was to listen on.
    public var address: ListenAddress
    /// What the system said.
    public var reason: String

    public var description: String { "cannot serve metrics on \(address): \(reason)" }
}

/// Set once the server listens, read when it ends: an error before that is the address's.
private final class ListeningFlag: Sendable {
    let value = Atomic(false)
}
