import CoreMetrics
import Prometheus

/// One daemon's metrics: a Prometheus registry of its own and the swift-metrics factory that writes into it.
///
/// Each daemon owns one and hands its `factory` to the parts that count (forwards, the reconciler, the
/// Kubernetes clients), instead of bootstrapping swift-metrics' global `MetricsSystem`, which a process may do
/// only once: tests run many daemons in one process, and each must see its own numbers (docs/metrics.md).
public struct BerthMetrics: Sendable {
    /// Where every metric of this daemon is kept; `exposition()` renders it.
    public let registry: PrometheusCollectorRegistry
    /// The swift-metrics factory that creates metrics in `registry`.
    public let factory: any MetricsFactory
    /// Counts resyncs after a network change settled.
    public let networkResyncs: CoreMetrics.Counter

    /// The buckets of `berth_upstream_open_seconds`: a stream to a pod opens in milliseconds on a local
    /// cluster and in a second or more through a slow VPN or a loaded API server.
    public static let upstreamOpenBuckets: [Duration] = [
        .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
        .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10),
    ]

    /// A new, empty registry.
    public init() {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets[MetricName.upstreamOpenSeconds] = Self.upstreamOpenBuckets
        self.registry = registry
        self.factory = factory
        self.networkResyncs = CoreMetrics.Counter(label: MetricName.networkResyncsTotal, factory: factory)
    }

    /// Every metric in the Prometheus text format (version 0.0.4), for `GET /metrics`.
    public func exposition() -> String {
        registry.emitToString()
    }

    /// The content type of `exposition()`.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// Sets `berth_forward_phase` of `forward` to 1 for `phase` and 0 for every other of `phases`.
    public func setPhase(of forward: String, to phase: String, among phases: [String]) {
        for candidate in phases {
            // The registry returns the same series for the same name and labels, so this creates nothing new
            // after the first call.
            CoreMetrics.Gauge(label: MetricName.forwardPhase, dimensions: Self.phaseDimensions(forward, candidate), factory: factory)
                .record(candidate == phase ? 1 : 0)
        }
    }

    /// Drops `berth_forward_phase` of a forward that left the manifest: it has no phase any more. Its counters
    /// stay until the daemon stops, so that a rate over them does not jump.
    public func removePhase(of forward: String, among phases: [String]) {
        for candidate in phases {
            CoreMetrics.Gauge(label: MetricName.forwardPhase, dimensions: Self.phaseDimensions(forward, candidate), factory: factory)
                .destroy()
        }
    }

    private static func phaseDimensions(_ forward: String, _ phase: String) -> [(String, String)] {
        [(MetricLabel.forward, forward), (MetricLabel.phase, phase)]
    }
}
