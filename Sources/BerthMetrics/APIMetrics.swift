import Metrics

/// The Kubernetes client's counters: requests by verb and watch restarts.
public struct APIMetrics: Sendable {
    private let requests: [APIVerb: Counter]
    /// `berth_watch_restarts_total`.
    public let watchRestarts: Counter

    /// Creates (or finds) the counters in `factory`; with no factory, swift-metrics' global one (a no-op
    /// unless the process bootstrapped one).
    public init(factory: any MetricsFactory = MetricsSystem.factory) {
        var requests: [APIVerb: Counter] = [:]
        for verb in APIVerb.allCases {
            requests[verb] = Counter(label: MetricName.apiRequestsTotal, dimensions: [(MetricLabel.verb, verb.rawValue)], factory: factory)
        }
        self.requests = requests
        watchRestarts = Counter(label: MetricName.watchRestartsTotal, factory: factory)
    }

    /// Counts one request.
    public func request(_ verb: APIVerb) {
        requests[verb]?.increment()
    }
}
