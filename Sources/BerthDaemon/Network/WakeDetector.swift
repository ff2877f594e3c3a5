#if canImport(Glibc)
import Glibc
#endif

/// Notices that the machine slept: between two samples, the wall clock advanced more than the monotonic
/// clock (which stops during suspend on Linux) by more than a threshold.
///
/// A value type fed with samples, so that it is tested without sleeping a machine.
public struct WakeDetector: Sendable {
    /// The smallest excess of wall-clock over monotonic progress that counts as a wake-up. A wall-clock
    /// step (NTP, a user setting the time) of that size is indistinguishable and also triggers a resync,
    /// which is harmless.
    public let threshold: Duration
    private var last: Sample?

    /// Readings of both clocks taken together.
    public struct Sample: Sendable, Hashable {
        /// Wall-clock time (CLOCK_REALTIME).
        public var wall: Duration
        /// Monotonic time (CLOCK_MONOTONIC).
        public var monotonic: Duration

        /// Creates a sample.
        public init(wall: Duration, monotonic: Duration) {
            self.wall = wall
            self.monotonic = monotonic
        }

        /// Reads both clocks now.
        public static func now() -> Sample {
            Sample(wall: read(CLOCK_REALTIME), monotonic: read(CLOCK_MONOTONIC))
        }

        private static func read(_ clock: clockid_t) -> Duration {
            var time = timespec()
            clock_gettime(clock, &time)
            return .seconds(time.tv_sec) + .nanoseconds(time.tv_nsec)
        }
    }

    /// Creates a detector; the first sample only sets the baseline.
    public init(threshold: Duration = .seconds(5)) {
        self.threshold = threshold
    }

    /// Records a sample; returns the time the machine was away if it woke since the previous one.
    public mutating func observe(_ sample: Sample) -> Duration? {
        defer { last = sample }
        guard let last else { return nil }
        let gap = (sample.wall - last.wall) - (sample.monotonic - last.monotonic)
        return gap > threshold ? gap : nil
    }
}
