import Metrics

/// The metrics of one forward (label `forward`), recorded by its data plane where each event happens.
///
/// A forward with several listeners (several ports, or `localhost` on both loopbacks) has one of these per
/// listener; they share the same series, because the registry returns one metric per name and labels.
public struct ForwardMetrics: Sendable {
    /// `berth_connections_total`.
    public let connections: Counter
    /// `berth_connections_open`.
    public let openConnections: Meter
    /// `berth_bytes_total{direction="in"}`.
    public let bytesIn: Counter
    /// `berth_bytes_total{direction="out"}`.
    public let bytesOut: Counter
    /// `berth_rebinds_total` (created with the others, so that it shows 0 before the first rebind).
    public let rebinds: Counter
    /// `berth_upstream_open_seconds`.
    public let upstreamOpen: Metrics.Timer
    private let failures: [String: Counter]

    /// Creates (or finds) the metrics of forward `name` in `factory`.
    /// - Parameter failureKinds: every kind of failure, so each series exists (at 0) before it first happens.
    public init(forward name: String, failureKinds: [String], factory: any MetricsFactory) {
        let forward = (MetricLabel.forward, name)
        connections = Counter(label: MetricName.connectionsTotal, dimensions: [forward], factory: factory)
        openConnections = Meter(label: MetricName.connectionsOpen, dimensions: [forward], factory: factory)
        bytesIn = Counter(label: MetricName.bytesTotal, dimensions: [forward, (MetricLabel.direction, "in")], factory: factory)
        bytesOut = Counter(label: MetricName.bytesTotal, dimensions: [forward, (MetricLabel.direction, "out")], factory: factory)
        rebinds = Self.rebinds(of: name, factory: factory)
        upstreamOpen = Metrics.Timer(label: MetricName.upstreamOpenSeconds, dimensions: [forward], factory: factory)
        var failures: [String: Counter] = [:]
        for kind in failureKinds {
            failures[kind] = Counter(
                label: MetricName.connectionFailuresTotal, dimensions: [forward, (MetricLabel.kind, kind)], factory: factory)
        }
        self.failures = failures
    }

    /// `berth_rebinds_total` of forward `name`: the reconciler counts rebinds, not the listeners (one rebind
    /// moves every listener of the forward).
    public static func rebinds(of name: String, factory: any MetricsFactory) -> Counter {
        Counter(label: MetricName.rebindsTotal, dimensions: [(MetricLabel.forward, name)], factory: factory)
    }

    /// Counts one failure of `kind` (one of the `failureKinds` it was made with).
    public func failed(_ kind: String) {
        failures[kind]?.increment()
    }
}
