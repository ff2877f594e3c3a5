import BerthDaemon
import BerthWeb
import Foundation
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization

/// `berth demo`'s engine: FakeKube and berth's daemon in this process, a request loop through every forward,
/// and every replaceable pod deleted on a schedule, until `stop()` or the duration ends.
final class DemoRunner<C: Clock>: Sendable where C.Duration == Duration {
    /// What the demo does and for how long.
    struct Options: Sendable {
        /// Ends the demo after this long (from its start); nil runs until `stop()`.
        var duration: Duration?
        /// Deletes every replaceable pod this often, the first time this long after every forward is Ready.
        var killEvery: Duration = .seconds(5)
        /// Each port gets a request this often (or right after the previous one when that took longer).
        var requestInterval: Duration = .milliseconds(50)
        /// Binds every listener to a free port instead of the manifest's fixed ones.
        var freePorts = false
        /// Plain output prints the counters this often.
        var progressEvery: Duration = .seconds(5)
        /// Serves Prometheus metrics here (`--metrics`, docs/metrics.md).
        var metrics: ListenAddress?
        /// Serves the web dashboard here (`--ui`, docs/dashboard.md).
        var ui: ListenAddress?
    }

    /// Longer than berth's default hold (10 s), so that a held connection counts as a success when it is bridged.
    static var requestTimeout: Duration { .seconds(15) }
    /// The demo manifest's hold (`hold: 10s` in examples/demo-forwards.yaml): tells a failure's kind.
    static var hold: Duration { .seconds(10) }

    private let options: Options
    private let console: DemoConsole
    private let logger: Logger
    private let clock: C
    private let start: C.Instant
    private let group: any EventLoopGroup
    private let tally = DemoTally()
    private let stopSignal: AsyncStream<Void>
    private let stopContinuation: AsyncStream<Void>.Continuation

    /// `logger` receives the daemon's and the cluster's logs (keep it at warning for a readable demo).
    init(options: Options, console: DemoConsole, logger: Logger, clock: C,
         eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.options = options
        self.console = console
        self.logger = logger
        self.clock = clock
        self.start = clock.now
        self.group = eventLoopGroup
        let (signal, continuation) = AsyncStream.makeStream(of: Void.self)
        stopSignal = signal
        stopContinuation = continuation
    }

    /// Ends the demo (Ctrl-C); idempotent.
    func stop() {
        stopContinuation.finish()
    }

    private var elapsed: Duration { start.duration(to: clock.now) }

    /// Runs the demo and returns its summary.
    func run() async throws(DemoError) -> DemoSummary {
        let cluster = try await DemoCluster.start(logger: logger)
        var environment = ProcessInfo.processInfo.environment
        if options.freePorts {
            for name in ["WEB", "API_GRPC", "API_HTTP", "DB"] { environment["BERTH_DEMO_\(name)_PORT"] = "0" }
        }
        let daemon = Daemon(configuration: DaemonConfiguration(
            source: .files(manifests: [cluster.manifest], envFiles: []), kubeconfig: cluster.kubeconfig,
            environment: environment, logger: logger, eventLoopGroup: group))
        console.setHeader([
            "berth demo: a fake cluster at \(cluster.server.serverURL) (examples/demo-cluster.yaml), berth on its forwards.",
            "  manifest    \(cluster.manifest)  (edit it: berth converges on the change)",
            "  kubeconfig  \(cluster.kubeconfig)  (kubectl --kubeconfig … get pods -A)",
            "  every replaceable pod is deleted every \(DemoSummary.seconds(options.killEvery)); Ctrl-C ends the demo.",
        ])

        let failure = DaemonFailure()
        let summary = await withTaskGroup(of: Void.self, returning: DemoSummary.self) { group in
            group.addTask {
                do {
                    try await daemon.run()
                } catch {
                    failure.set("\(error)")
                    self.stop()
                }
            }
            let servers = webServers(of: daemon, in: cluster.directory)
            let ready = AsyncStream.makeStream(of: Void.self)
            let targets = AsyncStream.makeStream(of: DemoTarget.self)
            group.addTask {
                await self.watch(daemon.statusChanges(), scenario: cluster, ready: ready.continuation, targets: targets.continuation)
            }
            await withTaskGroup(of: Void.self) { activity in
                activity.addTask { await self.drive(targets.stream) }
                activity.addTask { await self.killPods(cluster, after: ready.stream) }
                activity.addTask { await self.reportProgress() }
                for server in servers {
                    activity.addTask {
                        do {
                            try await server.run()
                        } catch where !Task.isCancelled {
                            // A port that cannot be bound ends the demo, as it stops berth up.
                            failure.set("\(error)")
                            self.stop()
                        } catch {}
                    }
                }
                if let duration = options.duration {
                    activity.addTask {
                        try? await self.clock.sleep(for: duration)
                        self.stop()
                    }
                }
                for await _ in stopSignal {}
                activity.cancelAll()
            }
            let summary = tally.summary(elapsed: elapsed)
            daemon.stop()
            await group.waitForAll()
            return summary
        }
        await cluster.shutdown()
        if let reason = failure.reason { throw .daemonFailed(reason: reason) }
        return summary
    }

    /// The metrics server and dashboard the options ask for; each adds its URL (the dashboard's with its token)
    /// to the header once it listens.
    /// The dashboard's host keeps its state (the last probes) in the demo's directory, which goes with the demo,
    /// never where `berth status` looks for the daemons of `berth up`.
    private func webServers(of daemon: Daemon, in directory: URL) -> [any Service] {
        let host = DaemonHost(daemon: daemon, runtimeDirectory: RuntimeDirectory(path: directory.path), logger: logger)
        return WebServers.services(
            metrics: options.metrics, ui: options.ui, source: host,
            registry: daemon.configuration.metrics, logger: logger,
            onMetrics: { url in self.console.addHeader("  metrics     \(url)") },
            onDashboard: { link in self.console.addHeader("  dashboard   \(link.urlWithToken)") })
    }

    /// Follows the daemon's status: prints what changed, counts rebinds, announces new ports to the request loop.
    private func watch(
        _ changes: AsyncStream<DaemonStatus>, scenario cluster: DemoCluster,
        ready: AsyncStream<Void>.Continuation, targets: AsyncStream<DemoTarget>.Continuation
    ) async {
        var tracker = RebindTracker()
        var announced = false
        let known = DemoTargets(scenario: cluster.scenario)
        for await status in changes {
            console.show(status)
            let now = elapsed
            for event in tracker.observe(status, at: now) { describe(event, at: now) }
            for target in known.newTargets(in: status) { targets.yield(target) }
            if tracker.allReadyOnce, !announced {
                // Finishing the stream is the signal: the pod killer starts its schedule.
                announced = true
                ready.finish()
                console.printTable()
            }
        }
        ready.finish()
        targets.finish()
    }

    private func describe(_ event: RebindTracker.Event, at now: Duration) {
        switch event {
        case .ready(let forward, let pod):
            console.event("\(forward): Ready on pod \(pod)", at: now)
        case .lost(let forward, let pod, let phase, let message):
            console.event("\(forward): pod \(pod) gone, \(phase.rawValue): listener kept, new connections wait\(message.map { " (\($0))" } ?? "")", at: now)
        case .rebound(let forward, let from, let to, let after):
            tally.recordRebind(at: now)
            let same = from == to ? " (a new pod, same name)" : ""
            console.event("\(forward): rebound \(from) -> \(to)\(same) after \(DemoSummary.seconds(after))", at: now)
        case .failed(let forward, let reason, let message):
            let hint = reason == .portInUse ? " — rerun with --free-ports" : ""
            console.event("\(forward): Failed: \(message ?? reason?.rawValue ?? "unknown")\(hint)", at: now)
        }
    }

    /// One sequential request loop per forwarded port, all at once.
    private func drive(_ targets: AsyncStream<DemoTarget>) async {
        await withTaskGroup(of: Void.self) { loops in
            for await target in targets {
                loops.addTask { await self.requests(to: target) }
            }
            await loops.waitForAll()
        }
    }

    private func requests(to target: DemoTarget) async {
        var sequence = 0
        while !Task.isCancelled {
            let began = clock.now
            sequence += 1
            var failure: String?
            let number = sequence
            do {
                try await withThrowingTaskGroup(of: Void.self) { race in
                    race.addTask { try await DemoProbe.request(target.kind, port: target.port, sequence: number, group: self.group) }
                    race.addTask {
                        try await self.clock.sleep(for: Self.requestTimeout)
                        throw DemoProbe.Failure(description: "no reply within \(DemoSummary.seconds(Self.requestTimeout))")
                    }
                    defer { race.cancelAll() }
                    try await race.next()
                }
            } catch {
                failure = DemoProbe.describe(error, after: began.duration(to: clock.now), hold: Self.hold)
            }
            // A request cut short by the end of the demo is neither a success nor a failure.
            guard !Task.isCancelled else { return }
            let now = elapsed
            tally.record(target: target.key, at: now, failure: failure)
            if let failure { console.event("request to \(target.key) failed: \(failure)", at: now) }
            try? await clock.sleep(until: began.advanced(by: options.requestInterval), tolerance: nil)
        }
    }

    /// Once every forward has been Ready, deletes every replaceable pod every `killEvery`.
    private func killPods(_ cluster: DemoCluster, after ready: AsyncStream<Void>) async {
        for await _ in ready {}
        while !Task.isCancelled {
            do { try await clock.sleep(for: options.killEvery) } catch { return }
            let deleted = await cluster.deleteReplaceablePods()
            tally.recordDeletions(deleted.count)
            console.event("deleted \(deleted.count) pods (--force): \(deleted.joined(separator: " "))", at: elapsed)
        }
    }

    /// Shows the request counters: on the live screen four times a second, in plain output every `progressEvery`.
    private func reportProgress() async {
        let interval = console.mode == .live ? Duration.milliseconds(250) : options.progressEvery
        while !Task.isCancelled {
            do { try await clock.sleep(for: interval) } catch { return }
            let counts = tally.counts
            console.counters(sent: counts.sent, failed: counts.failed, at: elapsed)
        }
    }
}

/// The daemon's own error, if it ended on one, handed from its task to the summary.
private final class DaemonFailure: Sendable {
    private let value = Mutex<String?>(nil)

    func set(_ reason: String) { value.withLock { $0 = reason } }

    var reason: String? { value.withLock { $0 } }
}
