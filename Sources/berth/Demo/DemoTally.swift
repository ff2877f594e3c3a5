import Synchronization

/// Counts the demo's requests per target and the longest time each went without a successful reply.
///
/// Times are offsets from the demo's start, taken from the demo's injected clock.
final class DemoTally: Sendable {
    /// One failed request, kept for the summary.
    struct FailureRecord: Sendable, Hashable {
        /// `forward:localPort`.
        var target: String
        /// When it failed, from the demo's start.
        var at: Duration
        /// What went wrong.
        var reason: String
    }

    private struct Target {
        var sent = 0
        var failed = 0
        var lastSuccess: Duration?
        var longestGap: Duration = .zero
    }

    private struct State {
        var targets: [String: Target] = [:]
        var failures: [FailureRecord] = []
        var rebinds = 0
        var podsDeleted = 0
        var killRounds = 0
        var firstReplacementReady: Duration?
    }

    /// Failures kept in detail; the count goes on past it.
    static let failureDetailLimit = 50

    private let state = Mutex(State())

    /// Records a request's outcome; `nil` is a success.
    func record(target: String, at time: Duration, failure: String?) {
        state.withLock { state in
            var entry = state.targets[target] ?? Target()
            entry.sent += 1
            if let failure {
                entry.failed += 1
                if state.failures.count < Self.failureDetailLimit {
                    state.failures.append(FailureRecord(target: target, at: time, reason: failure))
                }
            } else {
                if let last = entry.lastSuccess { entry.longestGap = max(entry.longestGap, time - last) }
                entry.lastSuccess = time
            }
            state.targets[target] = entry
        }
    }

    /// Records that a forward reached a new pod (or the same StatefulSet pod name, reborn).
    func recordRebind(at time: Duration) {
        state.withLock { state in
            state.rebinds += 1
            if state.firstReplacementReady == nil { state.firstReplacementReady = time }
        }
    }

    /// Records a round of pod deletions.
    func recordDeletions(_ count: Int) {
        state.withLock { state in
            state.podsDeleted += count
            state.killRounds += 1
        }
    }

    /// Requests sent and failed so far.
    var counts: (sent: Int, failed: Int) {
        state.withLock { state in
            state.targets.values.reduce(into: (sent: 0, failed: 0)) { $0.sent += $1.sent; $0.failed += $1.failed }
        }
    }

    /// The totals for the summary.
    func summary(elapsed: Duration) -> DemoSummary {
        state.withLock { state in
            let longest = state.targets.max { $0.value.longestGap < $1.value.longestGap }
            let perTarget = state.targets.keys.sorted().map { key in
                let target = state.targets[key]!
                return DemoSummary.TargetLine(target: key, sent: target.sent, failed: target.failed, longestGap: target.longestGap)
            }
            let afterReplacement = state.firstReplacementReady.map { ready in state.failures.filter { $0.at > ready }.count }
            return DemoSummary(
                elapsed: elapsed, requests: perTarget.reduce(0) { $0 + $1.sent }, failures: perTarget.reduce(0) { $0 + $1.failed },
                failuresAfterFirstReplacement: afterReplacement, rebinds: state.rebinds, podsDeleted: state.podsDeleted, killRounds: state.killRounds,
                longestGap: longest?.value.longestGap ?? .zero, longestGapTarget: longest?.key, targets: perTarget,
                failureDetails: state.failures)
        }
    }
}
