import BerthManifest
import BerthMetrics
import Foundation
import Logging
import NIOCore
import NIOPosix

/// What a `Daemon` serves and how.
public struct DaemonConfiguration: Sendable {
    /// Where the desired state comes from.
    public enum Source: Sendable {
        /// Manifest files (overlays in order) and env files, watched for changes (`berth up`).
        case files(manifests: [String], envFiles: [String])
        /// A manifest built in memory, never reloaded (`berth forward`).
        case inline(Manifest)
    }

    /// The desired state's source.
    public var source: Source
    /// An explicit kubeconfig path; nil means `KUBECONFIG` or `~/.kube/config`.
    public var kubeconfig: String?
    /// Replaces the kubeconfig's current context for forwards that name none.
    public var context: String?
    /// Variables for `${VAR}` (winning over env files) and for kubeconfig lookup.
    public var environment: [String: String]
    /// The daemon's logger; forwards add their own metadata.
    public var logger: Logger
    /// Times hold windows, debounce, backoff and resync.
    public var clock: any Clock<Duration>
    /// Where listeners and upstream streams run.
    public var eventLoopGroup: any EventLoopGroup
    /// Parallel reconciles of different forwards.
    public var workers: Int
    /// Interval of the full resync that catches anything an event missed.
    public var resyncInterval: Duration
    /// Quiet time after a file change before the manifest is reloaded.
    public var reloadDebounce: Duration
    /// Whether network changes (netlink) and waking from sleep trigger one settled resync.
    public var watchNetwork: Bool
    /// Reads the wall and monotonic clocks together; a wall clock that ran ahead of the monotonic one between two
    /// readings (2 s apart) means the machine slept (docs/daemon-internals.md). Tests simulate a suspend here.
    public var wakeSample: @Sendable () -> WakeDetector.Sample
    /// Streams per multiplexed port-forward session and the keepalive PING interval.
    public var sessions: SessionSettings
    /// The hosts file and address book of local names; nil gives addresses for this run only and leaves
    /// every hosts file alone.
    public var localNames: LocalNameKeeper.Settings?
    /// The owner id of this daemon's relay pods; nil derives it from the user, the host and the manifest paths
    /// (docs/relay.md, "Lifecycle").
    public var relayOwner: String?
    /// Where the daemon counts (docs/metrics.md): its own registry, so daemons in one process keep their
    /// numbers apart; `berth up --metrics` serves it.
    public var metrics: BerthMetrics

    /// Creates a configuration with berth's defaults.
    public init(
        source: Source, kubeconfig: String? = nil, context: String? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        logger: Logger, clock: any Clock<Duration> = ContinuousClock(),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        workers: Int = 4, resyncInterval: Duration = .seconds(300), reloadDebounce: Duration = .milliseconds(100),
        watchNetwork: Bool = true, wakeSample: @escaping @Sendable () -> WakeDetector.Sample = WakeDetector.Sample.now,
        sessions: SessionSettings = SessionSettings(), localNames: LocalNameKeeper.Settings? = nil, relayOwner: String? = nil,
        metrics: BerthMetrics = BerthMetrics()
    ) {
        self.relayOwner = relayOwner
        self.source = source
        self.kubeconfig = kubeconfig
        self.context = context
        self.environment = environment
        self.logger = logger
        self.clock = clock
        self.eventLoopGroup = eventLoopGroup
        self.workers = workers
        self.resyncInterval = resyncInterval
        self.reloadDebounce = reloadDebounce
        self.watchNetwork = watchNetwork
        self.wakeSample = wakeSample
        self.sessions = sessions
        self.localNames = localNames
        self.metrics = metrics
    }
}
