import Foundation
import Synchronization

extension Daemon {
    /// Watches, API requests and network resyncs now.
    public func health() -> DaemonHealth {
        DaemonHealth(
            watches: observed.informerCount,
            apiRequests: clusters.metrics.requestsCounted,
            resyncs: statuses.snapshot().resyncs)
    }

    /// Forgets the endpoint of every listener of `name` and reconciles it, so it chooses a pod again (the
    /// dashboard's "rebind now"; the manifest is not touched). Returns false when no such forward runs.
    public func rebind(_ name: String, reason: String) async -> Bool {
        let forwards = await reconciler.runningForwards(of: name)
        guard !forwards.isEmpty else { return false }
        configuration.logger.info("rebind requested", metadata: ["forward": "\(name)", "reason": "\(reason)"])
        for forward in forwards { await forward.clearEndpoint(reason: reason) }
        queue.add(name)
        return true
    }
}

extension DaemonHost {
    /// Probes one forward end to end now, as `berth status --probe` does (a failure rebinds it); nil when the
    /// forward is not Ready, so there is nothing to probe.
    public func probe(_ name: String) async -> ProbeResult? {
        let probed = await probeReadyForwards(among: [name])
        guard probed.contains(name) else { return nil }
        return board.probes[name]
    }

    /// The status with live counters and the last probe results, as `berth status` shows it.
    public func status() async -> DaemonStatus {
        await currentStatus()
    }

    /// Records where the dashboard listens and its token, for the state file (mode 0600) and `berth status`,
    /// and rewrites the state file.
    public func publishDashboard(_ dashboard: DashboardLink) async {
        dashboardLink.withLock { $0 = dashboard }
        await refreshState()
    }

    /// Records the URL of `/metrics` for `berth status` and rewrites the state file.
    public func publishMetrics(_ url: String) async {
        metricsURL.withLock { $0 = url }
        await refreshState()
    }

    private func refreshState() async {
        do {
            try writeState(await currentStatus())
        } catch {
            logger.warning("cannot refresh the state file", metadata: ["error": "\(error)"])
        }
    }
}

/// Where the dashboard of a daemon listens, as its state file records it.
public struct DashboardLink: Codable, Sendable, Hashable {
    /// The page's URL without the token (`http://127.0.0.1:8080/`).
    public var url: String
    /// The token the page, its event stream and its actions require.
    public var token: String

    /// Creates the record.
    public init(url: String, token: String) {
        self.url = url
        self.token = token
    }

    /// The URL to open: the page's with its token, as `berth up` prints it.
    public var urlWithToken: String { "\(url)?token=\(token)" }
}
