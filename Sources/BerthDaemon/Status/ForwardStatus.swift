import Foundation

/// Where a forward is in its life (docs/architecture.md, "A forward's life").
public enum ForwardPhase: String, Codable, Sendable, CaseIterable {
    /// Accepted, no endpoint yet (cache syncing, or the first endpoint not chosen yet).
    case pending = "Pending"
    /// Listening, an upstream endpoint chosen: new connections are bridged.
    case ready = "Ready"
    /// The endpoint went away; listeners stay bound and new connections are held.
    case rebinding = "Rebinding"
    /// Cannot run (port in use, forbidden, not found, no endpoints after the hold); retried with backoff.
    case failed = "Failed"
    /// `enabled: false` in the manifest.
    case disabled = "Disabled"
}

/// One local listener of a forward and what it reaches.
public struct PortStatus: Codable, Sendable, Hashable {
    /// The address the listener is bound to (for example `127.0.0.1`).
    public var address: String
    /// The bound local port (the resolved port when the manifest said 0); nil while not bound.
    public var localPort: Int?
    /// The remote port as the manifest names it: a number or a port name.
    public var remote: String
    /// The container port number it resolved to on the current pod, when there is one.
    public var targetPort: Int?
    /// Further addresses the same port listens on (`::1` beside `127.0.0.1` for `localhost`); nil when none.
    public var additionalAddresses: [String]?
    /// The local port as the manifest says it (0: any free port), shown while nothing is bound.
    public var configuredPort: Int?

    /// Creates a port status.
    public init(
        address: String, localPort: Int?, remote: String, targetPort: Int? = nil, additionalAddresses: [String]? = nil,
        configuredPort: Int? = nil
    ) {
        self.address = address
        self.localPort = localPort
        self.remote = remote
        self.targetPort = targetPort
        self.additionalAddresses = additionalAddresses
        self.configuredPort = configuredPort
    }
}

/// Connection counters of a forward, summed over its listeners.
public struct ConnectionCounters: Codable, Sendable, Hashable {
    /// Connections bridged now.
    public var open: Int
    /// Of the open connections, those still bridged to a pod that is no longer the endpoint (a rollout's old
    /// pod in its grace period); they end when that pod or its stream ends them.
    public var draining: Int
    /// Connections accepted since the forward started.
    public var total: Int
    /// Connections waiting for an endpoint now.
    public var held: Int
    /// Bytes from local clients to the pod.
    public var bytesIn: UInt64
    /// Bytes from the pod to local clients.
    public var bytesOut: UInt64
    /// Failures of every kind (connects, holds timed out, …).
    public var errors: Int

    /// Creates counters.
    public init(open: Int = 0, draining: Int = 0, total: Int = 0, held: Int = 0, bytesIn: UInt64 = 0, bytesOut: UInt64 = 0, errors: Int = 0) {
        self.open = open
        self.draining = draining
        self.total = total
        self.held = held
        self.bytesIn = bytesIn
        self.bytesOut = bytesOut
        self.errors = errors
    }

    private enum CodingKeys: String, CodingKey {
        case open, draining, total, held, bytesIn, bytesOut, errors
    }

    /// Decodes counters; `draining` may be absent (state files of earlier versions).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        open = try container.decode(Int.self, forKey: .open)
        draining = try container.decodeIfPresent(Int.self, forKey: .draining) ?? 0
        total = try container.decode(Int.self, forKey: .total)
        held = try container.decode(Int.self, forKey: .held)
        bytesIn = try container.decode(UInt64.self, forKey: .bytesIn)
        bytesOut = try container.decode(UInt64.self, forKey: .bytesOut)
        errors = try container.decode(Int.self, forKey: .errors)
    }
}

/// The outcome of an end-to-end probe of one forward.
public struct ProbeResult: Codable, Sendable, Hashable {
    /// Whether the probe stream opened.
    public var ok: Bool
    /// Milliseconds from dial to an open stream to the pod's port.
    public var milliseconds: Double?
    /// Why it failed, when it did.
    public var error: String?
    /// When the probe ran (`probedAt` in JSON: status prints its age).
    public var at: Date
    /// The pod it reached (or tried to); a passing probe of another pod says nothing about the current one.
    public var pod: String?

    /// Creates a probe result.
    public init(ok: Bool, milliseconds: Double?, error: String?, at: Date, pod: String? = nil) {
        self.ok = ok
        self.milliseconds = milliseconds
        self.error = error
        self.at = at
        self.pod = pod
    }

    private enum CodingKeys: String, CodingKey {
        case ok, milliseconds, error, pod
        case at = "probedAt"
    }

    /// How long a result stays in the status at least: long enough to read, short enough not to pass for news.
    public static let shownFor: TimeInterval = 600

    /// Whether this result still says something about `forward` at `now`: it is younger than `shownFor` (or
    /// than two of the forward's probe intervals, when longer), and a passing one is of the pod the forward
    /// reaches now, in the Ready spell it reaches it in. A failed probe stays (it explains the rebind after it).
    public func describes(_ forward: ForwardStatus, now: Date, interval: Duration? = nil) -> Bool {
        let bound = max(Self.shownFor, interval.map { 2 * Double($0.components.seconds) } ?? 0)
        guard now.timeIntervalSince(at) <= bound else { return false }
        guard ok else { return true }
        return forward.phase == .ready && at >= forward.since && (pod == nil || pod == forward.pod)
    }
}

/// The truth about one forward, derived from its listeners and the observed cluster (invariant 7).
public struct ForwardStatus: Codable, Sendable, Hashable {
    /// The forward's name in the manifest.
    public var name: String
    /// Where the forward is in its life.
    public var phase: ForwardPhase
    /// A machine word for why the forward is in this phase (`PortInUse`, `Forbidden`, `NotFound`, `NoEndpoints`, …).
    public var reason: ForwardReason?
    /// A sentence a user can act on.
    public var message: String?
    /// `service/web`, `pod/legacy-0`, `deployment/api`, `statefulset/db`, `selector/app=api`.
    public var target: String
    /// The kubeconfig context it uses.
    public var context: String?
    /// The target's namespace.
    public var namespace: String
    /// One entry per port mapping, in manifest order.
    public var ports: [PortStatus]
    /// The pod the forward reaches now.
    public var pod: String?
    /// When the forward entered this phase.
    public var since: Date
    /// The last error, kept after recovery so a flapping forward can be diagnosed.
    public var lastError: String?
    /// Connection counters, summed over the ports.
    public var connections: ConnectionCounters
    /// The last end-to-end probe, if any ran.
    public var probe: ProbeResult?
    /// Times the forward moved to another pod since the daemon started: the one count behind the dashboard's
    /// rebinds and `berth_rebinds_total` (docs/metrics.md).
    public var rebinds: Int
    /// How connections reach the pod: `websocket-spdy`, `spdy` or `websocket`; `auto` until negotiated.
    public var transport: String?
    /// The multiplexed sessions to the pod and the streams in them (SPDY transports only).
    public var sessions: SessionUsage?
    /// The address the forward listens on (its own loopback address when it has local names).
    public var address: String?
    /// The local names that resolve to `address` through the hosts file; empty when it has none.
    public var hostnames: [String]
    /// Whether those names are in the hosts file now; nil when the forward has none.
    public var namesInstalled: Bool?
    /// The pod's name under its headless service (`postgres-0.postgres`), from which the daemon derives
    /// the pod's local names; not part of the status documents (its names are, in `hostnames`).
    public var podDomainName: String?

    /// Creates a forward status.
    public init(
        name: String, phase: ForwardPhase, reason: ForwardReason? = nil, message: String? = nil, target: String,
        context: String?, namespace: String, ports: [PortStatus], pod: String? = nil, since: Date,
        lastError: String? = nil, connections: ConnectionCounters = ConnectionCounters(), probe: ProbeResult? = nil
    ) {
        self.name = name
        self.phase = phase
        self.reason = reason
        self.message = message
        self.target = target
        self.context = context
        self.namespace = namespace
        self.ports = ports
        self.pod = pod
        self.since = since
        self.lastError = lastError
        self.connections = connections
        self.probe = probe
        self.address = ports.first?.address
        self.hostnames = []
        self.namesInstalled = nil
        self.rebinds = 0
    }
}

extension ForwardStatus {
    private enum CodingKeys: String, CodingKey {
        case name, phase, reason, message, target, context, namespace, ports, pod, since, lastError, connections, probe
        case transport, sessions, address, hostnames, namesInstalled, rebinds
    }

    /// Decodes a status; the local-name fields and `rebinds` may be missing, as in the state file of an older daemon.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            name: try container.decode(String.self, forKey: .name),
            phase: try container.decode(ForwardPhase.self, forKey: .phase),
            reason: try container.decodeIfPresent(ForwardReason.self, forKey: .reason),
            message: try container.decodeIfPresent(String.self, forKey: .message),
            target: try container.decode(String.self, forKey: .target),
            context: try container.decodeIfPresent(String.self, forKey: .context),
            namespace: try container.decode(String.self, forKey: .namespace),
            ports: try container.decode([PortStatus].self, forKey: .ports),
            pod: try container.decodeIfPresent(String.self, forKey: .pod),
            since: try container.decode(Date.self, forKey: .since),
            lastError: try container.decodeIfPresent(String.self, forKey: .lastError),
            connections: try container.decode(ConnectionCounters.self, forKey: .connections),
            probe: try container.decodeIfPresent(ProbeResult.self, forKey: .probe))
        transport = try container.decodeIfPresent(String.self, forKey: .transport)
        sessions = try container.decodeIfPresent(SessionUsage.self, forKey: .sessions)
        address = try container.decodeIfPresent(String.self, forKey: .address) ?? address
        hostnames = try container.decodeIfPresent([String].self, forKey: .hostnames) ?? []
        namesInstalled = try container.decodeIfPresent(Bool.self, forKey: .namesInstalled)
        rebinds = try container.decodeIfPresent(Int.self, forKey: .rebinds) ?? 0
    }
}

/// Everything `berth status` shows: the daemon, its manifests, and every forward.
public struct DaemonStatus: Codable, Sendable, Hashable {
    /// The daemon's process id.
    public var pid: Int32
    /// When the daemon started.
    public var startedAt: Date
    /// Absolute paths of the manifest files (and env files) this daemon serves.
    public var manifests: [String]
    /// Errors of the last reload, `FILE:LINE:COLUMN: error: MESSAGE`; empty when the files are valid.
    /// While non-empty the daemon keeps running the last good manifest.
    public var manifestErrors: [String]
    /// Every forward of the manifest, in manifest order.
    public var forwards: [ForwardStatus]
    /// Resyncs after a settled network change since the daemon started: one per burst of changes, so a
    /// count that climbs during one outage would be a storm.
    public var resyncs: Int
    /// The web dashboard's URL, without its token (`berth up --ui`); nil when it does not run.
    public var dashboard: String?
    /// The URL of `/metrics` (`berth up --metrics`); nil when it is not served.
    public var metrics: String?

    /// Creates a daemon status.
    public init(
        pid: Int32, startedAt: Date, manifests: [String], manifestErrors: [String], forwards: [ForwardStatus],
        resyncs: Int = 0
    ) {
        self.pid = pid
        self.startedAt = startedAt
        self.manifests = manifests
        self.manifestErrors = manifestErrors
        self.forwards = forwards
        self.resyncs = resyncs
    }

    /// True when every enabled forward is Ready (the exit code of `berth status`).
    public var allReady: Bool {
        forwards.allSatisfy { $0.phase == .ready || $0.phase == .disabled }
    }
}

extension DaemonStatus {
    private enum CodingKeys: String, CodingKey {
        case pid, startedAt, manifests, manifestErrors, forwards, resyncs, dashboard, metrics
    }

    /// Decodes a status; `resyncs` may be missing, as in the state file of a daemon from before it was counted
    /// (which would otherwise be taken for an unreadable file and removed while its daemon runs).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            pid: try container.decode(Int32.self, forKey: .pid),
            startedAt: try container.decode(Date.self, forKey: .startedAt),
            manifests: try container.decode([String].self, forKey: .manifests),
            manifestErrors: try container.decode([String].self, forKey: .manifestErrors),
            forwards: try container.decode([ForwardStatus].self, forKey: .forwards),
            resyncs: try container.decodeIfPresent(Int.self, forKey: .resyncs) ?? 0)
        dashboard = try container.decodeIfPresent(String.self, forKey: .dashboard)
        metrics = try container.decodeIfPresent(String.self, forKey: .metrics)
    }
}

/// A forward's local names as the hosts-file keeper sees them (docs/local-names.md).
public struct LocalNamesStatus: Sendable, Hashable {
    /// The loopback address the names point at.
    public var address: String
    /// The names.
    public var hostnames: [String]
    /// Whether the hosts file holds them now.
    public var installed: Bool

    /// Creates the record.
    public init(address: String, hostnames: [String], installed: Bool) {
        self.address = address
        self.hostnames = hostnames
        self.installed = installed
    }
}
