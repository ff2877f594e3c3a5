/// The name of every metric berth exports, in one place: the daemon, the Kubernetes client and the docs
/// (docs/metrics.md) use these, so a rename cannot leave one of them behind.
public enum MetricName {
    /// 1 for the phase a forward is in, 0 for the others (one-hot), by `forward` and `phase`.
    public static let forwardPhase = "berth_forward_phase"
    /// Connections accepted, by `forward`.
    public static let connectionsTotal = "berth_connections_total"
    /// Connections bridged to a pod and not yet closed, by `forward`.
    public static let connectionsOpen = "berth_connections_open"
    /// Connection and stream failures, by `forward` and `kind` (the kinds `berth status` counts).
    public static let connectionFailuresTotal = "berth_connection_failures_total"
    /// Bytes moved, by `forward` and `direction` (`in`: from local clients to the pod; `out`: back).
    public static let bytesTotal = "berth_bytes_total"
    /// Times a forward moved to another pod, by `forward`.
    public static let rebindsTotal = "berth_rebinds_total"
    /// How long opening a stream to a pod took (a histogram), by `forward`.
    public static let upstreamOpenSeconds = "berth_upstream_open_seconds"
    /// Requests to the Kubernetes API, by `verb`.
    public static let apiRequestsTotal = "berth_api_requests_total"
    /// Watches opened again after one ended or failed (every informer's first watch is not counted).
    public static let watchRestartsTotal = "berth_watch_restarts_total"
    /// Resyncs after a network change or a wake from sleep settled.
    public static let networkResyncsTotal = "berth_network_resyncs_total"
}

/// The label names of berth's metrics.
public enum MetricLabel {
    /// The forward's name in the manifest.
    public static let forward = "forward"
    /// A forward phase (`Ready`, `Rebinding`, …), on `berth_forward_phase`.
    public static let phase = "phase"
    /// A kind of failure (`holdTimedOut`, `endpointGone`, …), on `berth_connection_failures_total`.
    public static let kind = "kind"
    /// `in` or `out`, on `berth_bytes_total`.
    public static let direction = "direction"
    /// The Kubernetes API verb, on `berth_api_requests_total`.
    public static let verb = "verb"
}

/// The Kubernetes API verbs berth counts (the words RBAC uses for them).
public enum APIVerb: String, Sendable, CaseIterable {
    /// Read one object.
    case get
    /// Read a collection (each page counts).
    case list
    /// Open a watch.
    case watch
    /// Create an object (the relay pods of docs/relay.md).
    case create
    /// Delete an object.
    case delete
}
