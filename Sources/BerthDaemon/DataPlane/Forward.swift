import BerthMetrics
import DequeModule
import Logging
import Metrics
import NIOCore
import Reconcile

/// One forward: a bound local listener whose accepted connections are bridged to the current
/// upstream endpoint, each over its own upstream stream.
///
/// Decisions (where a connection goes, what an endpoint change closes, when a warm stream is
/// replaced) are made here, in actor-isolated code; the bytes move in `PumpHandler`s on the
/// listener's event loop. All work runs inside `run()`, so cancelling the caller's task stops the
/// forward: the listener, held and open connections and warm streams are all closed.
public actor Forward {
    typealias Job = @Sendable () async -> Void

    /// The forward's settings.
    public nonisolated let configuration: ForwardConfiguration
    /// The bound local address (with the chosen port when 0 was asked for).
    public nonisolated var localAddress: SocketAddress { listener.localAddress }
    /// The bound local port.
    public nonisolated var port: Int { listener.port }

    nonisolated let listener: ForwardListener
    nonisolated let connector: any UpstreamConnector
    nonisolated let clock: any Clock<Duration>
    /// `clock`'s time since the forward was made, for durations kept as state.
    nonisolated let elapsed: ElapsedClock
    nonisolated let logger: Logger
    /// Told when `upstreamFailure` changes, so the owner can re-derive the forward's status.
    nonisolated let upstreamChanged: @Sendable () -> Void
    /// Every byte of the forward's connections, also counted in its metrics.
    nonisolated let bytes: ByteCounters
    nonisolated var eventLoop: any EventLoop { listener.eventLoop }
    /// The forward's decisions run on its listener's event loop, where its bytes move (docs/data-plane.md,
    /// "Threads"): actor methods called from a connection's task, itself on that loop, hop no thread.
    public nonisolated let unownedExecutor: UnownedSerialExecutor

    /// The first wait before a connection whose stream never reached the pod tries the same endpoint again
    /// (a newer endpoint is taken at once); it doubles up to `longestRetryDelay`, within the connection's hold.
    static var firstRetryDelay: Duration { .milliseconds(200) }
    /// The longest wait between such retries.
    static var longestRetryDelay: Duration { .seconds(2) }
    /// How much of what a client sent before the pod's first byte is kept for a replay to another stream; a
    /// connection that sent more before its stream failed is closed, as any connection whose bytes may have
    /// reached a pod.
    static var replayLimit: Int { 256 * 1024 }

    enum Lifecycle { case idle, running, stopped }
    var lifecycle = Lifecycle.idle
    var jobs: AsyncStream<Job>.Continuation?

    var endpoint: UpstreamEndpoint?
    /// Bumped on every endpoint change, so work started for an old endpoint can tell it is stale.
    var generation: UInt64 = 0
    var held = Deque<HeldConnection>()
    var parkedOutcomes: [UInt64: HoldOutcome] = [:]
    var open: [UInt64: OpenConnection] = [:]
    var warm = Deque<WarmStream>()
    var warmOpening = 0
    /// Whether the last stream opened rode a shared session; the default number of warm streams follows it.
    var upstreamMultiplexed = false
    /// Connections that found the pool empty and wait for a stream being opened, oldest first.
    var warmWaiters = Deque<WarmWaiter>()
    var warmRetryPending = false
    /// Whether `ageWarmStreams` runs (it ends once the pool is empty).
    var warmAgerRunning = false
    /// When the last connection came (`elapsed`), for the default number of warm streams.
    var lastConnectionAt: Duration?
    var warmFailures = 0
    /// Set when a warm stream's pod sent more than it keeps before any client came; cleared by an endpoint change.
    var warmTalksUnasked = false
    /// Tells a backoff's wake-up whether it is still the one pending (`retryWarmNow` may have cut it short).
    var warmRetrySerial: UInt64 = 0
    var nextConnectionID: UInt64 = 0
    var nextWarmID: UInt64 = 0
    var stats: Stats
    /// Set while opening streams to the endpoint fails; cleared once a stream proves usable.
    var upstreamFailure: UpstreamFailure?

    /// Creates a forward over a bound listener; nothing happens until `run()`.
    /// - Parameters:
    ///   - listener: the bound local socket; the forward owns it from now on.
    ///   - connector: opens upstream streams on the listener's event loop.
    ///   - clock: times the hold timeout, warm stream ages and retry delays.
    ///   - logger: carries the caller's metadata; the forward adds its own.
    ///   - metrics: where connections, bytes, failures and stream opens are counted (docs/metrics.md); nil
    ///     counts them in `counters()` only.
    ///   - upstreamChanged: called (from the forward's actor) whenever `counters().upstreamFailure` changes.
    public init(
        listener: ForwardListener,
        configuration: ForwardConfiguration,
        connector: any UpstreamConnector,
        clock: any Clock<Duration> = ContinuousClock(),
        logger: Logger,
        metrics: ForwardMetrics? = nil,
        upstreamChanged: @escaping @Sendable () -> Void = {}
    ) {
        let metrics = metrics ?? ForwardMetrics(
            forward: configuration.name, failureKinds: ForwardErrorKind.allCases.map(\.rawValue),
            factory: NOOPMetricsHandler.instance)
        self.stats = Stats(metrics: metrics)
        self.bytes = ByteCounters(inMetric: metrics.bytesIn, outMetric: metrics.bytesOut)
        self.upstreamChanged = upstreamChanged
        self.listener = listener
        self.unownedExecutor = listener.eventLoop.executor.asUnownedSerialExecutor()
        self.configuration = configuration
        self.connector = connector
        self.clock = clock
        self.elapsed = ElapsedClock(clock)
        var logger = logger
        logger[metadataKey: "forward"] = "\(configuration.name)"
        logger[metadataKey: "listen"] = "\(listener.address)"
        self.logger = logger
    }

    /// Serves the listener until the calling task is cancelled, then closes everything.
    /// - Throws: `BerthDaemonError.forwardAlreadyRunning` if called twice.
    public nonisolated func run() async throws {
        let (jobStream, jobSink) = AsyncStream.makeStream(of: Job.self)
        try await start(jobs: jobSink)
        // The reconciler says "listening" once per port, with the remote port; this is the data plane's own view.
        logger.debug("forward listening")
        // No more connections can arrive once the listener is closed: stop the rest of the forward too.
        listener.closeFuture.whenComplete { _ in
            Task { await self.stopJobs() }
        }
        do {
            // Every task of the forward prefers the listener's loop; child tasks inherit the preference.
            try await withTaskExecutorPreference(EventLoopTaskExecutor(eventLoop)) {
                try await listener.startAccepting { [self] client in onLoop { $0.accept(client) } }
                await withDiscardingTaskGroup { group in
                    // Children are added only here; the stream ends on cancellation or a closed listener.
                    for await job in jobStream {
                        group.addTask { await job() }
                    }
                    await self.shutdown()
                    group.cancelAll()
                }
            }
        } catch {
            await shutdown()
            await listener.close()
            throw error
        }
        await listener.close()
        logger.info("forward stopped")
    }

    /// Bridges new connections, and the held ones in arrival order, to `newEndpoint`; warm streams are
    /// rebuilt for the new pod. Connections open to another pod drain there: they end when that pod or its
    /// stream ends them, or when `closeConnections(exceptToPods:reason:)` says the pod is gone.
    public func setEndpoint(_ newEndpoint: UpstreamEndpoint) {
        guard newEndpoint != endpoint else { return }
        logger.info("endpoint set", metadata: ["pod": "\(newEndpoint)", "held": "\(held.count)"])
        changeEndpoint(to: newEndpoint)
        refillWarm()
        while !held.isEmpty, let route = takeRoute() {
            let entry = held.removeFirst()
            deliver(.bridge(route), to: entry)
        }
    }

    /// Forgets the endpoint: new connections are held. Open connections stay with their pods, as on an
    /// endpoint change.
    public func clearEndpoint(reason: String) {
        guard endpoint != nil else { return }
        logger.info("endpoint cleared; holding new connections", metadata: ["reason": "\(reason)"])
        changeEndpoint(to: nil)
    }

    /// Closes the open connections bridged to pods other than `livePods` (pod UIDs): those pods are gone from
    /// the API, so their streams are dead even if no FIN reached us yet.
    public func closeConnections(exceptToPods livePods: Set<String>, reason: String) {
        // Removed at once, so a second call cannot count them twice; their tasks end on the close.
        for (id, connection) in open where !livePods.contains(connection.endpoint.podUID) {
            logger.info("pod gone; closing its connection", metadata: ["connection": "\(id)", "pod": "\(connection.endpoint)", "reason": "\(reason)"])
            stats.count(.endpointGone)
            stats.metrics.openConnections.decrement()
            connection.close()
            open[id] = nil
        }
    }

    /// The forward's counters now.
    public func counters() -> ForwardCounters {
        ForwardCounters(
            endpoint: endpoint,
            openConnections: open.count,
            drainingConnections: open.values.filter { $0.endpoint != endpoint }.count,
            totalConnections: stats.totalConnections,
            heldConnections: held.count,
            warmStreamsReady: warm.count,
            bytesIn: bytes.inCount,
            bytesOut: bytes.outCount,
            upstreamConnects: stats.upstreamConnects,
            connectsOnAcceptPath: stats.connectsOnAcceptPath,
            warmStreamsUsed: stats.warmStreamsUsed,
            lastConnectLatency: stats.lastConnectLatency,
            averageConnectLatency: stats.upstreamConnects == 0 ? nil : stats.connectLatencySum / stats.upstreamConnects,
            errors: stats.errors,
            upstreamFailure: upstreamFailure
        )
    }

    /// Every open connection now, oldest first.
    public func connections() -> [ConnectionSnapshot] {
        open.sorted { $0.key < $1.key }.map { id, connection in
            ConnectionSnapshot(
                id: id,
                endpoint: connection.endpoint,
                bytesIn: connection.counters.inCount,
                bytesOut: connection.counters.outCount,
                usedWarmStream: connection.usedWarmStream
            )
        }
    }

    // MARK: - Lifecycle

    private func start(jobs: AsyncStream<Job>.Continuation) throws {
        guard lifecycle == .idle else { throw BerthDaemonError.forwardAlreadyRunning(forward: configuration.name) }
        lifecycle = .running
        self.jobs = jobs
        refillWarm()
    }

    /// Runs `job` as a child of `run()`'s task group; false once the forward is stopping.
    @discardableResult
    func spawn(_ job: @escaping Job) -> Bool {
        guard lifecycle == .running, let jobs else { return false }
        if case .terminated = jobs.yield(job) { return false }
        return true
    }

    private func stopJobs() {
        jobs?.finish()
    }

    private func shutdown() {
        lifecycle = .stopped
        jobs?.finish()
        jobs = nil
        while let entry = held.popFirst() {
            deliver(.stopped, to: entry)
        }
        for connection in open.values {
            connection.close()
        }
        for stream in warm {
            stream.stream.channel.close(promise: nil)
        }
        warm.removeAll()
        releaseWarmWaiters(keeping: 0)
    }

    private func changeEndpoint(to newEndpoint: UpstreamEndpoint?) {
        endpoint = newEndpoint
        generation &+= 1
        warmOpening = 0
        warmFailures = 0
        warmRetryPending = false
        warmTalksUnasked = false
        // What failed for the old pod says nothing about the new one.
        noteUpstream(nil)
        for stream in warm {
            stream.stream.channel.close(promise: nil)
        }
        warm.removeAll()
        releaseWarmWaiters(keeping: 0)
    }
}
