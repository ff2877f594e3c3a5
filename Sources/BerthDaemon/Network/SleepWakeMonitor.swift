/// An endless sequence of ``NetworkChange/Kind/wake`` changes: it samples both clocks every `interval`
/// and yields when ``WakeDetector`` sees the machine was suspended. Merge it with ``NetlinkMonitor``.
///
/// It runs in the iterating task (no thread of its own) and ends when that task is cancelled.
public struct SleepWakeMonitor<C: Clock>: AsyncSequence, Sendable where C.Duration == Duration {
    /// A wake-up.
    public typealias Element = NetworkChange

    private let interval: Duration
    private let threshold: Duration
    private let clock: C
    private let sample: @Sendable () -> WakeDetector.Sample

    /// Creates a monitor.
    /// - Parameters:
    ///   - interval: how often the clocks are compared.
    ///   - threshold: see ``WakeDetector/threshold``.
    ///   - clock: paces the sampling.
    ///   - sample: reads the clocks (tests inject readings).
    public init(
        interval: Duration = .seconds(2),
        threshold: Duration = .seconds(5),
        clock: C,
        sample: @escaping @Sendable () -> WakeDetector.Sample = WakeDetector.Sample.now
    ) {
        self.interval = interval
        self.threshold = threshold
        self.clock = clock
        self.sample = sample
    }

    /// Yields a change after each detected wake-up.
    public struct AsyncIterator: AsyncIteratorProtocol {
        fileprivate let monitor: SleepWakeMonitor
        fileprivate var detector: WakeDetector

        /// Waits for the next wake-up; `nil` once the task is cancelled.
        public mutating func next() async -> NetworkChange? {
            if detector.observe(monitor.sample()) != nil { return NetworkChange(kind: .wake) }
            while true {
                do {
                    try await monitor.clock.sleep(for: monitor.interval)
                } catch {
                    return nil
                }
                if detector.observe(monitor.sample()) != nil { return NetworkChange(kind: .wake) }
            }
        }
    }

    /// See `AsyncSequence`.
    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(monitor: self, detector: WakeDetector(threshold: threshold))
    }
}
