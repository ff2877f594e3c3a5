/// The injected `Clock<Duration>` erased to "time since this value was made" and "sleep for", so that the
/// host's loops need not carry the existential clock's opaque `Instant` type.
struct HostClock: Sendable {
    /// Time elapsed since the value was made.
    let elapsed: @Sendable () -> Duration
    /// Sleeps for a duration on the underlying clock.
    let sleep: @Sendable (Duration) async throws -> Void

    init(_ clock: any Clock<Duration>) {
        self = Self.make(clock)
    }

    private init(elapsed: @escaping @Sendable () -> Duration, sleep: @escaping @Sendable (Duration) async throws -> Void) {
        self.elapsed = elapsed
        self.sleep = sleep
    }

    private static func make<C: Clock<Duration>>(_ clock: C) -> HostClock {
        let origin = clock.now
        return HostClock(
            elapsed: { origin.duration(to: clock.now) },
            sleep: { duration in try await clock.sleep(until: clock.now.advanced(by: duration), tolerance: nil) }
        )
    }
}
