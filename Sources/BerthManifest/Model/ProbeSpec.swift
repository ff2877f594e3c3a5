/// Periodic health check of a forward's upstream.
public struct ProbeSpec: Hashable, Sendable {
    /// Time between two probes; at least one second.
    public var interval: Duration

    /// Creates a probe spec.
    public init(interval: Duration) {
        self.interval = interval
    }
}
