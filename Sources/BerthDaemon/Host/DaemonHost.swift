import Foundation
import Logging
import NIOCore
import NIOPosix
import Reconcile
import ServiceLifecycle
import Synchronization

/// What `berth up` wraps around a ``Daemon``: the one-daemon-per-manifest-set lock, the state file and the
/// control socket, all cleaned up when the daemon ends (and, if a previous daemon died without cleaning,
/// at the next start-up). The daemon, the control socket, the state file writer, the scheduled probes and
/// whatever the caller adds run as `Service`s in one ``DaemonLifecycle`` group.
///
/// ```swift
/// try await DaemonHost(daemon: daemon, logger: logger).run(alongside: [liveTable], stopOnSignals: true)
/// ```
public struct DaemonHost: Sendable {
    /// The daemon served.
    public let daemon: Daemon
    /// The files that identify this daemon (its lock, state file and socket are named after them).
    public let manifestSet: ManifestSet
    /// Where the lock, state file and socket live.
    public let runtimeDirectory: RuntimeDirectory
    /// Quiet time after a status change before the state file is rewritten.
    public let stateDebounce: Duration
    let clock: any Clock<Duration>
    let eventLoopGroup: any EventLoopGroup
    let logger: Logger
    let board = StatusBoard()
    /// Where the dashboard listens, once it does (`berth up --ui`).
    let dashboardLink = SharedValue<DashboardLink?>(nil)
    /// The URL of `/metrics`, once it listens (`berth up --metrics`).
    let metricsURL = SharedValue<String?>(nil)

    /// Creates a host; nothing happens until ``run(_:)``.
    /// - Parameters:
    ///   - daemon: the daemon to serve.
    ///   - manifestSet: the files that name the daemon; by default the daemon's own manifest files.
    ///   - runtimeDirectory: by default `$XDG_RUNTIME_DIR/berth` or `~/.local/state/berth`.
    ///   - stateDebounce: status changes closer together than this produce one state file write.
    ///   - clock: times the debounce, the probes and the long polls.
    public init(
        daemon: Daemon,
        manifestSet: ManifestSet? = nil,
        runtimeDirectory: RuntimeDirectory = .standard(),
        stateDebounce: Duration = .milliseconds(100),
        clock: any Clock<Duration> = ContinuousClock(),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger
    ) {
        self.daemon = daemon
        self.manifestSet = manifestSet ?? Self.manifestSet(of: daemon)
        self.runtimeDirectory = runtimeDirectory
        self.stateDebounce = stateDebounce
        self.clock = clock
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
    }

    /// The manifest files of a daemon that serves files (env files do not name it: `berth status -f` finds
    /// the daemon from the manifests alone).
    public static func manifestSet(of daemon: Daemon) -> ManifestSet {
        switch daemon.configuration.source {
        case .files(let manifests, _): ManifestSet(paths: manifests)
        case .inline: ManifestSet(paths: [])
        }
    }

    /// The state file of this host's manifest set.
    public var stateFile: StateFile<DaemonStatus> { StateFile(path: runtimeDirectory.stateFilePath(for: manifestSet)) }

    /// The control socket path of this host's manifest set.
    public var controlSocketPath: String { runtimeDirectory.controlSocketPath(for: manifestSet) }

    /// Takes the lock, cleans what a dead daemon left, publishes the state file and the control socket, runs
    /// the daemon with `services` beside it (one more part of `berth up` is one more `Service` here), and
    /// cleans up when the daemon ends or throws. With `stopOnSignals`, SIGINT or SIGTERM stops it gracefully.
    ///
    /// - Throws: `BerthDaemonError.manifestInvalid` before anything else when the files are invalid,
    ///   ``BerthDaemonError/alreadyRunning(pid:lockPath:)`` when another daemon serves the same files,
    ///   the runtime directory and socket errors of ``BerthDaemonError``, and what the daemon or a service throws.
    public func run(alongside services: [any Service] = [], stopOnSignals: Bool = false) async throws {
        // Invalid files are reported before anything says the daemon is there (no lock, socket or state file).
        try daemon.loadManifest()
        try await host(daemon, alongside: services, stopOnSignals: stopOnSignals)
    }

    /// Publishes the lock, state file and control socket while `body` runs in the daemon's place (the daemon
    /// itself does not run: for tests of the host's files and socket).
    public func run(_ body: @escaping @Sendable () async throws -> Void) async throws {
        try await host(ClosureService(body), alongside: [], stopOnSignals: false)
    }

    private func host(_ main: any Service, alongside services: [any Service], stopOnSignals: Bool) async throws {
        try runtimeDirectory.prepare()
        let lock = try DaemonLock.acquire(path: runtimeDirectory.lockFilePath(for: manifestSet))
        defer { lock.release() }
        cleanLeftovers()
        let server = try await ControlServer<HostRequest, HostResponse>.bind(
            path: controlSocketPath, eventLoopGroup: eventLoopGroup, logger: logger)
        let stateFile = self.stateFile
        defer { stateFile.remove() }
        try writeState(await daemon.status())
        logger.info("control socket ready", metadata: ["socket": "\(controlSocketPath)", "state": "\(stateFile.path)"])

        let changes = daemon.statusChanges()
        let parts: [any Service] = [
            UntilShutdown("control socket") { try await server.serve { request in await self.answer(request) } },
            UntilShutdown("state file") { await self.publish(changes) },
            UntilShutdown("scheduled probes") { await self.runScheduledProbes() },
        ]
        // Long polls (`berth status --watch`) answer as soon as the daemon has stopped.
        let board = self.board
        let daemonThenBoard = ClosureService {
            defer { board.finish() }
            try await main.run()
        }
        try await DaemonLifecycle.run(daemonThenBoard, alongside: parts + services, stopOnSignals: stopOnSignals, logger: logger)
    }

    /// A state file whose owner is gone (a crash, `kill -9`) is removed; the stale socket goes with the bind.
    private func cleanLeftovers() {
        switch stateFile.readValidated() {
        case .removedStale(let reason):
            logger.notice("removed the state left by a previous daemon", metadata: ["reason": "\(reason)"])
        case .live(let state) where state.owner.pid != getpid():
            // We hold the lock, so its writer cannot be serving these files: a reused PID, say.
            stateFile.remove()
            logger.notice("removed a state file whose owner does not hold the lock", metadata: ["pid": "\(state.owner.pid)"])
        case .live, .absent:
            break
        }
    }

    /// Moves the watch generation on at every status change, and rewrites the state file once per burst:
    /// after a change it waits `stateDebounce`, then writes the status as it is then (changes that arrived
    /// meanwhile are in it; a change during the write leads to one more write).
    private func publish(_ changes: AsyncStream<DaemonStatus>) async {
        let (dirty, mark) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let clock = ElapsedClock(self.clock)
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await _ in changes {
                    board.bump()
                    mark.yield()
                }
                mark.finish()
            }
            for await _ in dirty {
                do {
                    try await clock.sleep(for: stateDebounce)
                } catch {
                    break
                }
                do {
                    try writeState(await currentStatus())
                } catch {
                    logger.warning("cannot refresh the state file", metadata: ["error": "\(error)"])
                }
            }
            group.cancelAll()
        }
    }

    func writeState(_ status: DaemonStatus) throws(BerthDaemonError) {
        guard let owner = ProcessIdentity.current() else {
            throw .stateFileWriteFailed(path: stateFile.path, reason: "cannot read this process's start time")
        }
        try stateFile.write(DaemonState(
            owner: owner, startedAt: status.startedAt, manifests: manifestSet.paths,
            controlSocket: controlSocketPath, status: status, dashboard: dashboardLink.withLock { $0 }))
    }

    /// The daemon's status with live counters and the probe results that still describe their forwards
    /// (``ProbeResult/describes(_:now:interval:)``; docs/cli-daemon.md).
    func currentStatus() async -> DaemonStatus {
        var status = await daemon.status()
        let probes = board.probes
        let manifest = daemon.manifest.current
        let now = Date()
        for index in status.forwards.indices {
            let forward = status.forwards[index]
            guard let probe = probes[forward.name],
                  probe.describes(forward, now: now, interval: manifest[forward.name]?.probe?.interval) else { continue }
            status.forwards[index].probe = probe
        }
        // Where to look at the daemon: the dashboard's URL (never its token, which only the state file holds)
        // and /metrics.
        status.dashboard = dashboardLink.withLock { $0?.url }
        status.metrics = metricsURL.withLock { $0 }
        return status
    }
}

/// A value shared by the copies of a ``DaemonHost`` (a struct) and set once a server beside it listens.
final class SharedValue<Value: Sendable>: Sendable {
    private let value: Mutex<Value>

    init(_ value: Value) { self.value = Mutex(value) }

    func withLock<Result: Sendable>(_ body: (inout Value) -> Result) -> Result {
        value.withLock { body(&$0) }
    }
}
