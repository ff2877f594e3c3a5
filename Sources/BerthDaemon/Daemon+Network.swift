import AsyncAlgorithms
import KubeAPI
import KubeClient
import Logging
import Reconcile

extension Daemon {
    /// Watches links, addresses and routes (the platform's network events) and the machine waking from sleep;
    /// once the network is quiet for the settle window and the API server answers, resyncs every forward once
    /// (docs/daemon-internals.md, "When the network changes"). Without network events, waking still resyncs.
    func settleNetworkChanges() async {
        let logger = configuration.logger
        var monitor: PlatformNetworkEvents?
        do {
            monitor = try PlatformNetworkEvents(logger: logger)
        } catch {
            logger.warning("network changes will not trigger a resync; waking from sleep still does", metadata: ["error": "\(error)"])
        }
        await Self.settle(monitor, wakeSample: configuration.wakeSample, clock: configuration.clock, logger: logger, probe: { [clusters] in
            await Self.apiServerAnswers(clusters.resolvedClients)
        }, onResync: { [weak self] in
            logger.info("network settled; resyncing every forward")
            await self?.resync()
        })
    }

    /// Opens the injected clock's existential for the generic settler and the sleep/wake monitor it paces.
    private static func settle<C: Clock<Duration>>(
        _ monitor: PlatformNetworkEvents?, wakeSample: @escaping @Sendable () -> WakeDetector.Sample, clock: C, logger: Logger,
        probe: @escaping @Sendable () async -> Bool, onResync: @escaping @Sendable () async -> Void
    ) async {
        let settler = NetworkSettler(clock: clock, logger: logger, probe: probe)
        let wakes = SleepWakeMonitor(clock: clock, sample: wakeSample)
        if let monitor {
            await settler.run(changes: merge(monitor, wakes), onResync: onResync)
        } else {
            await settler.run(changes: wakes, onResync: onResync)
        }
    }

    /// True when some cluster answers at all (an error status is an answer; a transport error is not).
    static func apiServerAnswers(_ clients: [KubeClient]) async -> Bool {
        if clients.isEmpty { return true }
        for client in clients {
            do {
                _ = try await client.get(Namespace.self, name: client.namespace)
                return true
            } catch KubeClientError.transport {
                continue
            } catch {
                return true
            }
        }
        return false
    }
}

extension Daemon {
    /// When a forward's streams or an informer's list or watch find the API server unreachable (a partition, an
    /// API server restart), probes it until it answers, then retries failing watches, sessions and warm streams at
    /// once, as after a network change, rather than leaving each to a backoff that grew while the server was away
    /// (up to 30 s). It waits a second of quiet after the first failure, then probes every 250 ms doubling to 2 s:
    /// one GET per probe, only while the server is away. Not counted as a network resync (docs/controller.md,
    /// "When the API server cannot be reached").
    func recoverWhenTheAPIServerAnswers() async {
        let logger = configuration.logger
        await Self.recover(changes: unreachable.stream, clock: configuration.clock, logger: logger, probe: { [clusters] in
            await Self.apiServerAnswers(clusters.resolvedClients)
        }, onAnswer: { [weak self] in
            logger.info("the API server answers again; restarting failing streams and watches")
            await self?.restartStreamsAndWatches()
        })
    }

    /// Opens the injected clock's existential for the generic settler.
    private static func recover<C: Clock<Duration>>(
        changes: AsyncStream<NetworkChange>, clock: C, logger: Logger,
        probe: @escaping @Sendable () async -> Bool, onAnswer: @escaping @Sendable () async -> Void
    ) async {
        let configuration = SettleStateMachine<C.Instant>.Configuration(
            settleWindow: .seconds(1), probeBackoff: ExponentialBackoff(base: .milliseconds(250), cap: .seconds(2)))
        let settler = NetworkSettler(configuration: configuration, clock: clock, logger: logger, probe: probe)
        await settler.run(changes: changes, onResync: onAnswer)
    }
}
