import Reconcile

extension DaemonHost {
    /// How often the schedule is looked at; manifest edits to `probe.interval` take effect within it.
    static let probeScheduleTick = Duration.seconds(1)

    /// Probes each forward whose manifest entry sets `probe: {interval: …}`, every interval while it is Ready.
    func runScheduledProbes() async {
        let clock = ElapsedClock(self.clock)
        var lastProbe: [String: Duration] = [:]
        while !Task.isCancelled {
            let now = clock.now()
            let due = daemon.manifest.current.forwards.filter { spec in
                guard spec.enabled, let probe = spec.probe else { return false }
                return lastProbe[spec.name].map { now - $0 >= probe.interval } ?? true
            }.map(\.name)
            if !due.isEmpty {
                // Only Ready forwards are probed; the others are looked at again on the next tick.
                for name in await probeReadyForwards(among: Set(due)) { lastProbe[name] = now }
            }
            do {
                try await clock.sleep(for: Self.probeScheduleTick)
            } catch {
                return
            }
        }
    }
}
