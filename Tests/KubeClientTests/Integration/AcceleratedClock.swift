/// A clock on which time passes `factor` times faster than real time.
///
/// The informer takes a clock but no backoff: giving it this one keeps the reflector's real backoff sequence
/// (0.8 s doubling, jittered) while it runs against a real server in a fraction of the time, so a test of a
/// partition or a restart takes a second instead of ten. The code under test sleeps on it; tests never do.
struct AcceleratedClock: Clock {
    /// A point on the accelerated timeline: accelerated time since the clock was made.
    struct Instant: InstantProtocol, Hashable {
        /// Accelerated time since the origin.
        var offset: Duration

        func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }
        func duration(to other: Instant) -> Duration { other.offset - offset }
        static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.offset < rhs.offset }
    }

    /// How many accelerated seconds pass per real second.
    let factor: Int
    private let origin = ContinuousClock.now

    init(factor: Int) {
        precondition(factor >= 1)
        self.factor = factor
    }

    var now: Instant { Instant(offset: origin.duration(to: .now) * factor) }

    var minimumResolution: Duration { .nanoseconds(1) }

    func sleep(until deadline: Instant, tolerance: Duration? = nil) async throws {
        let remaining = now.duration(to: deadline)
        guard remaining > .zero else { return try Task.checkCancellation() }
        try await Task.sleep(for: remaining / factor)
    }
}
