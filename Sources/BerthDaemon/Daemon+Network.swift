import KubeAPI
import KubeClient
import Logging

extension Daemon {
    /// Watches links, addresses and routes (the platform's network events); once the network is quiet for the
    /// settle window and the API server answers, resyncs every forward once (docs/architecture.md, invariant 8).
    /// Without network events it logs and returns.
    func settleNetworkChanges() async {
        let logger = configuration.logger
        let monitor: PlatformNetworkEvents
        do {
            monitor = try PlatformNetworkEvents(logger: logger)
        } catch {
            logger.warning("network changes will not trigger a resync", metadata: ["error": "\(error)"])
            return
        }
        await Self.settle(monitor, clock: configuration.clock, logger: logger, probe: { [clusters] in
            await Self.apiServerAnswers(clusters.resolvedClients)
        }, onResync: { [weak self] in
            logger.info("network settled; resyncing every forward")
            await self?.resync()
        })
    }

    /// Opens the injected clock's existential for the generic settler.
    private static func settle<C: Clock<Duration>>(
        _ monitor: PlatformNetworkEvents, clock: C, logger: Logger, probe: @escaping @Sendable () async -> Bool,
        onResync: @escaping @Sendable () async -> Void
    ) async {
        await NetworkSettler(clock: clock, logger: logger, probe: probe).run(changes: monitor, onResync: onResync)
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
