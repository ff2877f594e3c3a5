/// The daemon's own health, as the dashboard shows it (docs/dashboard.md).
public struct DaemonHealth: Codable, Sendable, Hashable {
    /// Watches running now (one per informer: resource kind and namespace of a cluster).
    public var watches: Int
    /// API requests sent since the daemon started (a watch counts once): the sum of `berth_api_requests_total`.
    public var apiRequests: Int
    /// Resyncs after a settled network change since the daemon started.
    public var resyncs: Int

    /// Creates the record.
    public init(watches: Int, apiRequests: Int, resyncs: Int) {
        self.watches = watches
        self.apiRequests = apiRequests
        self.resyncs = resyncs
    }
}
