import Reconcile

extension DaemonHost {
    /// Probes each forward whose manifest entry sets `probe: {interval: …}`, every interval while it is Ready.
    ///
    /// It sleeps until the next probe is due, or, when no forward has a probe, until the manifest changes;
    /// a manifest edit wakes it at once, so a new or changed `probe.interval` takes effect without delay.
    func runScheduledProbes() async {
        let clock = ElapsedClock(self.clock)
        var lastProbe: [String: Duration] = [:]
        while !Task.isCancelled {
            let now = clock.now()
            let intervals = daemon.manifest.current.forwards.compactMap { spec in
                spec.enabled ? spec.probe.map { (name: spec.name, interval: $0.interval) } : nil
            }
            let due = intervals.filter { probe in
                lastProbe[probe.name].map { now - $0 >= probe.interval } ?? true
            }.map(\.name)
            if !due.isEmpty {
                // Only Ready forwards are probed; the others are looked at again one interval later.
                await probeReadyForwards(among: Set(due))
                for name in due { lastProbe[name] = now }
            }
            let next = intervals.compactMap { probe in lastProbe[probe.name].map { $0 + probe.interval } }.min()
            let replaced = daemon.manifest.replaced
            if let next {
                await replaced.wait(orUntil: { try await clock.sleepUntil(next) })
            } else {
                await replaced.wait()
            }
        }
    }
}
