import AsyncAlgorithms
import KubeAPI
import KubeClient
import Logging

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
    private static func apiServerAnswers(_ clients: [KubeClient]) async -> Bool {
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
