import Foundation

/// Where a forward is in its life (DESIGN.md, "A forward's life").
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

    public init(address: String, localPort: Int?, remote: String, targetPort: Int? = nil) {
        self.address = address
        self.localPort = localPort
        self.remote = remote
        self.targetPort = targetPort
    }
}

/// Connection counters of a forward, summed over its listeners.
public struct ConnectionCounters: Codable, Sendable, Hashable {
    public var open: Int
    public var total: Int
    public var held: Int
    public var bytesIn: UInt64
    public var bytesOut: UInt64
    public var errors: Int

    public init(open: Int = 0, total: Int = 0, held: Int = 0, bytesIn: UInt64 = 0, bytesOut: UInt64 = 0, errors: Int = 0) {
        self.open = open
        self.total = total
        self.held = held
        self.bytesIn = bytesIn
        self.bytesOut = bytesOut
        self.errors = errors
    }
}

/// The outcome of an end-to-end probe of one forward.
public struct ProbeResult: Codable, Sendable, Hashable {
    public var ok: Bool
    /// Milliseconds from dial to an open stream to the pod's port.
    public var milliseconds: Double?
    public var error: String?
    public var at: Date

    public init(ok: Bool, milliseconds: Double?, error: String?, at: Date) {
        self.ok = ok
        self.milliseconds = milliseconds
        self.error = error
        self.at = at
    }
}

/// The truth about one forward, derived from its listeners and the observed cluster (invariant 7).
public struct ForwardStatus: Codable, Sendable, Hashable {
    public var name: String
    public var phase: ForwardPhase
    /// A machine word for why the forward is in this phase (`PortInUse`, `Forbidden`, `NotFound`, `NoEndpoints`, …).
    public var reason: String?
    /// A sentence a user can act on.
    public var message: String?
    /// `service/web`, `pod/legacy-0`, `deployment/api`, `statefulset/db`, `selector/app=api`.
    public var target: String
    public var context: String?
    public var namespace: String
    public var ports: [PortStatus]
    /// The pod the forward reaches now.
    public var pod: String?
    /// When the forward entered this phase.
    public var since: Date
    /// The last error, kept after recovery so a flapping forward can be diagnosed.
    public var lastError: String?
    public var connections: ConnectionCounters
    public var probe: ProbeResult?

    public init(
        name: String, phase: ForwardPhase, reason: String? = nil, message: String? = nil, target: String,
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
    }
}

/// Everything `berth status` shows: the daemon, its manifests, and every forward.
public struct DaemonStatus: Codable, Sendable, Hashable {
    public var pid: Int32
    public var startedAt: Date
    /// Absolute paths of the manifest files (and env files) this daemon serves.
    public var manifests: [String]
    /// Errors of the last reload, `FILE:LINE:COLUMN: error: MESSAGE`; empty when the files are valid.
    /// While non-empty the daemon keeps running the last good manifest.
    public var manifestErrors: [String]
    public var forwards: [ForwardStatus]

    public init(pid: Int32, startedAt: Date, manifests: [String], manifestErrors: [String], forwards: [ForwardStatus]) {
        self.pid = pid
        self.startedAt = startedAt
        self.manifests = manifests
        self.manifestErrors = manifestErrors
        self.forwards = forwards
    }

    /// True when every enabled forward is Ready (the exit code of `berth status`).
    public var allReady: Bool {
        forwards.allSatisfy { $0.phase == .ready || $0.phase == .disabled }
    }
}
