/// A `Clock<Duration>` erased to "time since this value was made" and "sleep until then".
///
/// Code that takes an injected `any Clock<Duration>` stores deadlines for many keys, or loops over sleeps;
/// plain `Duration` offsets spare it the existential clock's opaque `Instant` type. The work queue, the
/// controller, the daemon host and the reconciler's hold timer all keep time through this one type.
public struct ElapsedClock: Sendable {
    /// Time elapsed on the underlying clock since this value was made.
    public let now: @Sendable () -> Duration
    /// Sleeps until ``now`` reaches the given offset; throws `CancellationError` when cancelled first.
    public let sleepUntil: @Sendable (Duration) async throws -> Void

    /// Wraps `clock`; offsets count from now.
    public init(_ clock: any Clock<Duration>) {
        self = Self.make(clock)
    }

    private init(now: @escaping @Sendable () -> Duration, sleepUntil: @escaping @Sendable (Duration) async throws -> Void) {
        self.now = now
        self.sleepUntil = sleepUntil
    }

    /// Sleeps for `duration` on the underlying clock; throws `CancellationError` when cancelled first.
    public func sleep(for duration: Duration) async throws {
        try await sleepUntil(now() + duration)
    }

    private static func make<C: Clock<Duration>>(_ clock: C) -> ElapsedClock {
        let origin = clock.now
        return ElapsedClock(
            now: { origin.duration(to: clock.now) },
            sleepUntil: { deadline in try await clock.sleep(until: origin.advanced(by: deadline), tolerance: nil) }
        )
    }
}
