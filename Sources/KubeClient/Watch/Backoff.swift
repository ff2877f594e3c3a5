import Reconcile

/// Jittered exponential backoff with the numbers of client-go's reflector (docs/informers.md, "Backoff numbers"):
/// 0.8 s doubling to a 30 s cap, each delay drawn uniformly from [d, 2d), and back to 0.8 s when more
/// than 2 minutes passed since the previous backoff started (the watch was healthy in between).
///
/// The doubling itself is Reconcile's ``ExponentialBackoff`` (the one schedule every retry in berth uses);
/// this type adds the jitter and the reset. Time enters as `now`, a monotonic `Duration` since any origin the caller keeps fixed (the reflector uses the
/// time since it started), so the value needs no clock of its own and tests can feed any timeline.
public struct Backoff: Sendable {
    /// The first delay, before jitter.
    public var initial: Duration
    /// The largest delay before jitter; jittered delays stay below `2 × cap`.
    public var cap: Duration
    /// Quiet time after which the next delay starts again from `initial`.
    public var resetAfter: Duration

    private var random: SeededRandom
    /// Backoffs since the last reset.
    private var failures = 0
    private var lastBackoffStart: Duration?

    /// A backoff with client-go's defaults unless overridden; `random` supplies the jitter.
    public init(
        initial: Duration = .milliseconds(800), cap: Duration = .seconds(30), resetAfter: Duration = .seconds(120),
        random: SeededRandom = SeededRandom()
    ) {
        self.initial = initial
        self.cap = cap
        self.resetAfter = resetAfter
        self.random = random
    }

    /// The delay to wait now, and advances the sequence. `now` must not go backwards between calls.
    public mutating func next(now: Duration) -> Duration {
        if let last = lastBackoffStart, now - last > resetAfter {
            failures = 0
        }
        lastBackoffStart = now
        let base = ExponentialBackoff(base: initial, cap: cap).delay(afterFailures: failures)
        failures += 1
        // Jitter factor 1.0 as in client-go: uniform in [base, 2·base).
        let fraction = Double.random(in: 0..<1, using: &random)
        return base + base * fraction
    }

    /// Forgets the history: the next delay starts from `initial` again.
    public mutating func reset() {
        failures = 0
        lastBackoffStart = nil
    }
}
