import Metrics
import Synchronization

/// Bytes moved through one connection or one forward, written by the pump on the event loop and
/// read by status at any time, hence atomics rather than actor state.
final class ByteCounters: Sendable {
    /// Bytes read from the local client and sent upstream.
    let bytesIn = Atomic<Int>(0)
    /// Bytes read from upstream and sent to the local client.
    let bytesOut = Atomic<Int>(0)
    /// The forward's `berth_bytes_total` series, counted with the atomics (docs/metrics.md); nil for one connection.
    private let inMetric: Counter?
    private let outMetric: Counter?

    init(inMetric: Counter? = nil, outMetric: Counter? = nil) {
        self.inMetric = inMetric
        self.outMetric = outMetric
    }

    func addIn(_ count: Int) {
        bytesIn.add(count, ordering: .relaxed)
        inMetric?.increment(by: count)
    }

    func addOut(_ count: Int) {
        bytesOut.add(count, ordering: .relaxed)
        outMetric?.increment(by: count)
    }

    var inCount: Int { bytesIn.load(ordering: .relaxed) }
    var outCount: Int { bytesOut.load(ordering: .relaxed) }
}
