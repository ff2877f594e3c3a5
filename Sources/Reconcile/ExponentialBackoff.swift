/// Per-key retry delays: `base`, doubling with each consecutive failure, never above `cap`.
///
/// The defaults follow controller-runtime's per-item limiter (5 ms doubling) with a cap that suits
/// port-forwards: a forward that keeps failing is retried at least every 30 seconds.
public struct ExponentialBackoff: Sendable, Hashable {
    /// The delay after the first failure.
    public var base: Duration
    /// The longest delay, reached after enough consecutive failures.
    public var cap: Duration

    /// Creates a backoff policy; `base` is clamped to at most `cap`.
    public init(base: Duration = .milliseconds(5), cap: Duration = .seconds(30)) {
        self.base = min(base, cap)
        self.cap = cap
    }

    /// The delay before retry number `failures + 1`, given `failures` earlier consecutive failures.
    public func delay(afterFailures failures: Int) -> Duration {
        var delay = base
        var remaining = max(0, failures)
        // Doubling step by step cannot overflow: it stops at the cap.
        while remaining > 0, delay < cap {
            delay = delay * 2
            remaining -= 1
        }
        return min(delay, cap)
    }
}
