import Synchronization

/// Bytes moved through one connection or one forward, written by the pump on the event loop and
/// read by status at any time, hence atomics rather than actor state.
final class ByteCounters: Sendable {
    /// Bytes read from the local client and sent upstream.
    let bytesIn = Atomic<Int>(0)
    /// Bytes read from upstream and sent to the local client.
    let bytesOut = Atomic<Int>(0)

    init() {}

    func addIn(_ count: Int) { bytesIn.add(count, ordering: .relaxed) }
    func addOut(_ count: Int) { bytesOut.add(count, ordering: .relaxed) }
    var inCount: Int { bytesIn.load(ordering: .relaxed) }
    var outCount: Int { bytesOut.load(ordering: .relaxed) }
}
