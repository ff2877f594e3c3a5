/// A `Clock<Duration>` erased to "time since this value was made".
///
/// The queue stores deadlines for many keys; storing them as plain `Duration` offsets avoids carrying the
/// existential clock's opaque `Instant` type through every data structure.
struct ElapsedClock: Sendable {
    let now: @Sendable () -> Duration
    let sleepUntil: @Sendable (Duration) async throws -> Void

    init(_ clock: any Clock<Duration>) {
        self = Self.make(clock)
    }

    private init(now: @escaping @Sendable () -> Duration, sleepUntil: @escaping @Sendable (Duration) async throws -> Void) {
        self.now = now
        self.sleepUntil = sleepUntil
    }

    private static func make<C: Clock<Duration>>(_ clock: C) -> ElapsedClock {
        let origin = clock.now
        return ElapsedClock(
            now: { origin.duration(to: clock.now) },
            sleepUntil: { deadline in try await clock.sleep(until: origin.advanced(by: deadline), tolerance: nil) }
        )
    }
}
