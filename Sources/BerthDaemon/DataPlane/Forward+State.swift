import BerthMetrics
import NIOCore

extension Forward {
    /// Where a connection goes: the endpoint, the generation it was chosen in, and maybe a warm stream.
    struct Route: Sendable {
        var endpoint: UpstreamEndpoint
        var generation: UInt64
        var warm: WarmStream?
    }

    /// How a connection's wait ended.
    enum HoldOutcome: Sendable {
        case bridge(Route)
        case timedOut
        case queueFull
        case stopped
    }

    /// A connection waiting for an endpoint; `continuation` is nil until its task starts waiting.
    struct HeldConnection {
        var id: UInt64
        var continuation: CheckedContinuation<HoldOutcome, Never>?
    }

    /// A connection whose bytes are flowing.
    struct OpenConnection {
        var endpoint: UpstreamEndpoint
        var client: any Channel
        var upstream: any Channel
        var counters: ByteCounters
        var usedWarmStream: Bool

        func close() {
            client.close(promise: nil)
            upstream.close(promise: nil)
        }
    }

    /// A connection waiting for the warm stream being opened (see `awaitOpeningWarm`).
    struct WarmWaiter {
        var id: UInt64
        var continuation: CheckedContinuation<WarmStream?, Never>
    }

    /// A pre-opened upstream stream waiting in the pool.
    struct WarmStream: Sendable {
        var id: UInt64
        var stream: UpstreamStream
        var exit: EventLoopFuture<StandbyExit>
        /// When it went into the pool (`elapsed`); it is closed `warmStreamMaxIdle` later if still there.
        var readyAt: Duration
    }

    /// Totals that only the actor writes; each is also recorded in the forward's metrics as it happens.
    struct Stats {
        let metrics: ForwardMetrics
        var totalConnections = 0
        var upstreamConnects = 0
        var connectsOnAcceptPath = 0
        var warmStreamsUsed = 0
        var lastConnectLatency: Duration?
        var connectLatencySum = Duration.zero
        var errors: [ForwardErrorKind: Int] = [:]

        mutating func count(_ kind: ForwardErrorKind) {
            errors[kind, default: 0] += 1
            metrics.failed(kind.rawValue)
        }

        mutating func countConnection() {
            totalConnections += 1
            metrics.connections.increment()
        }

        mutating func recordConnect(latency: Duration) {
            metrics.upstreamOpen.record(duration: latency)
            upstreamConnects += 1
            lastConnectLatency = latency
            connectLatencySum += latency
        }
    }

    // MARK: - Routing and holding

    /// The route for a connection now, taking a warm stream if one is ready; nil without an endpoint. The stream's
    /// replacement is opened by `attach`, once the connection has used it.
    func takeRoute() -> Route? {
        guard let endpoint else { return nil }
        return Route(endpoint: endpoint, generation: generation, warm: warm.popFirst())
    }

    /// Routes a new connection, or queues it (without waiting yet) when there is no endpoint.
    func admit() -> Admission {
        nextConnectionID += 1
        stats.countConnection()
        lastConnectionAt = elapsed.now()
        let id = nextConnectionID
        if let route = takeRoute() { return (id, route, nil) }
        guard lifecycle == .running else { return (id, nil, .stopped) }
        guard held.count < configuration.maxHeldConnections else {
            stats.count(.holdQueueFull)
            return (id, nil, .queueFull)
        }
        held.append(HeldConnection(id: id))
        return (id, nil, nil)
    }

    /// Queues a connection again after its stream to the endpoint of `failedGeneration` never reached the
    /// pod. An endpoint chosen since is taken at once; nil means the connection waits in the queue.
    func rehold(id: UInt64, after failedGeneration: UInt64) -> HoldOutcome? {
        guard lifecycle == .running else { return .stopped }
        if generation != failedGeneration, let route = takeRoute() { return .bridge(route) }
        guard held.count < configuration.maxHeldConnections else {
            stats.count(.holdQueueFull)
            return .queueFull
        }
        held.append(HeldConnection(id: id))
        return nil
    }

    /// A held connection's retry is due: hands it the current endpoint, if there is one, and says so.
    func retryHeld(id: UInt64) -> Bool {
        guard let index = held.firstIndex(where: { $0.id == id }), let route = takeRoute() else { return false }
        deliver(.bridge(route), to: held.remove(at: index))
        return true
    }

    /// Waits until the held connection `id` is routed, times out, or the forward stops.
    func awaitHeld(id: UInt64) async -> HoldOutcome {
        if let outcome = parkedOutcomes.removeValue(forKey: id) { return outcome }
        return await withCheckedContinuation { continuation in
            if let index = held.firstIndex(where: { $0.id == id }) {
                held[index].continuation = continuation
            } else {
                continuation.resume(returning: parkedOutcomes.removeValue(forKey: id) ?? .stopped)
            }
        }
    }

    /// The hold timeout of connection `id` ran out: close it if it is still waiting.
    func expireHold(id: UInt64) {
        guard let index = held.firstIndex(where: { $0.id == id }) else { return }
        let entry = held.remove(at: index)
        stats.count(.holdTimedOut)
        deliver(.timedOut, to: entry)
    }

    func deliver(_ outcome: HoldOutcome, to entry: HeldConnection) {
        if let continuation = entry.continuation {
            continuation.resume(returning: outcome)
        } else {
            parkedOutcomes[entry.id] = outcome
        }
    }

    // MARK: - Open connections

    /// Records a connection about to be bridged; false means the forward is stopping and the caller must close it.
    /// Recorded before the first byte moves, so the counters never miss a connection that is passing bytes and
    /// `closeConnections` closes it even mid-bridge. A connection bridged to an endpoint that changed meanwhile
    /// is kept: it drains on its pod like the others.
    func register(id: UInt64, route: Route, client: any Channel, upstream: any Channel, counters: ByteCounters) -> Bool {
        guard lifecycle == .running else { return false }
        open[id] = OpenConnection(
            endpoint: route.endpoint,
            client: client,
            upstream: upstream,
            counters: counters,
            usedWarmStream: route.warm != nil
        )
        stats.metrics.openConnections.increment()
        return true
    }

    /// Records that a registered connection's bridge is in place: its stream was used, and it is a sign opens work.
    func noteBridged(_ route: Route) {
        if route.warm != nil { stats.warmStreamsUsed += 1 }
        // With warm streams, the pool judges whether opens work (a kubelet may fail a stream a moment
        // after bridging); without them, a bridge is the only sign there is.
        if warmTarget == 0 { noteUpstream(nil) }
    }

    /// Forgets a connection; false when `closeConnections` removed it already (and counted it).
    @discardableResult
    func unregister(id: UInt64) -> Bool {
        guard open.removeValue(forKey: id) != nil else { return false }
        stats.metrics.openConnections.decrement()
        return true
    }

    func recordConnect(latency: Duration, onAcceptPath: Bool, multiplexed: Bool) {
        stats.recordConnect(latency: latency)
        if onAcceptPath { stats.connectsOnAcceptPath += 1 }
        // The first stream tells the transport (auto negotiates it); a multiplexed one raises the default pool.
        if multiplexed != upstreamMultiplexed {
            upstreamMultiplexed = multiplexed
            refillWarm()
        }
    }

    func count(_ kind: ForwardErrorKind) {
        stats.count(kind)
    }

    /// Records whether streams to the endpoint work; a change is logged once and reported to the owner.
    func noteUpstream(_ failure: UpstreamFailure?) {
        guard failure != upstreamFailure else { return }
        let recovered = upstreamFailure != nil && failure == nil
        upstreamFailure = failure
        if let failure {
            logger.warning(
                "cannot reach the pod",
                metadata: ["pod": "\(endpoint.map { "\($0)" } ?? "-")", "reason": "\(failure.reason)", "error": "\(failure.message)"]
            )
        } else if recovered {
            logger.info("streams to the pod work again", metadata: ["pod": "\(endpoint.map { "\($0)" } ?? "-")"])
        }
        upstreamChanged()
    }
}
