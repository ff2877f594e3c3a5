import Metrics
import Synchronization

/// The Kubernetes client's counters: requests by verb and watch restarts.
public struct APIMetrics: Sendable {
    private let requests: [APIVerb: Counter]
    /// `berth_watch_restarts_total`.
    public let watchRestarts: Counter
    private let total = RequestTotal()

    /// Requests counted so far, every verb: the sum of `berth_api_requests_total` in this process, which the
    /// dashboard shows as a rate (docs/dashboard.md). The Prometheus counters do not give their values back,
    /// so `request(_:)` adds to this sum as it increments them: one place counts.
    public var requestsCounted: Int { total.value.load(ordering: .relaxed) }

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
        total.value.add(1, ordering: .relaxed)
    }
}

/// The running sum behind `APIMetrics.requestsCounted`, shared by the copies of one `APIMetrics`.
private final class RequestTotal: Sendable {
    let value = Atomic<Int>(0)
}
