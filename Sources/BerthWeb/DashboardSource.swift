import BerthDaemon

/// What the dashboard reads from and asks of the daemon; `DaemonHost` is the real one, tests give a fake.
public protocol DashboardSource: Sendable {
    /// The status now, with live counters and the last probes.
    func status() async -> DaemonStatus
    /// Every status change from now on (the current status first); ends when the daemon stops.
    func statusChanges() -> AsyncStream<DaemonStatus>
    /// Watches, API requests and network resyncs now.
    func health() -> DaemonHealth
    /// Probes one forward end to end now; nil when it is not Ready.
    func probe(_ name: String) async -> ProbeResult?
    /// Makes one forward choose its pod again; false when no such forward runs.
    func rebind(_ name: String) async -> Bool
}

extension DaemonHost: DashboardSource {
    public func statusChanges() -> AsyncStream<DaemonStatus> {
        daemon.statusChanges()
    }

    public func health() -> DaemonHealth {
        daemon.health()
    }

    public func rebind(_ name: String) async -> Bool {
        await daemon.rebind(name, reason: "rebind requested from the dashboard")
    }
}
