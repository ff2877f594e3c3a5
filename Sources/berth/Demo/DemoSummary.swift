import Foundation

/// What `berth demo` prints at the end, and what its test checks.
struct DemoSummary: Sendable {
    /// One forwarded port's figures.
    struct TargetLine: Sendable, Hashable {
        /// `forward:localPort`.
        var target: String
        /// Requests sent through it.
        var sent: Int
        /// Requests that failed.
        var failed: Int
        /// The longest time between two successful replies.
        var longestGap: Duration
    }

    /// How long the demo ran.
    var elapsed: Duration
    /// Requests sent through every forward.
    var requests: Int
    /// Requests that failed.
    var failures: Int
    /// Failures after the first forward came back on a replacement pod; nil when none came back yet.
    var failuresAfterFirstReplacement: Int?
    /// Times a forward became Ready again on a replacement pod.
    var rebinds: Int
    /// Pods the demo deleted.
    var podsDeleted: Int
    /// Rounds of deletions (every `--kill-every`).
    var killRounds: Int
    /// The longest time any target went without a successful reply.
    var longestGap: Duration
    /// The target of `longestGap`.
    var longestGapTarget: String?
    /// Per target, sorted by name.
    var targets: [TargetLine]
    /// The first failures, in order.
    var failureDetails: [DemoTally.FailureRecord]

    /// The summary block printed when the demo ends.
    func render() -> String {
        var lines = [
            "",
            "berth demo summary (\(Self.seconds(elapsed)))",
            "  requests      \(requests) sent, \(failures) failed",
            "  pods deleted  \(podsDeleted) in \(killRounds) rounds",
            "  rebinds       \(rebinds)",
            "  longest gap   \(Self.seconds(longestGap))\(longestGapTarget.map { " (\($0))" } ?? "") between two successful replies",
        ]
        for target in targets {
            lines.append("    \(target.target): \(target.sent) sent, \(target.failed) failed, longest gap \(Self.seconds(target.longestGap))")
        }
        for failure in failureDetails.prefix(10) {
            lines.append("  failed at \(Self.seconds(failure.at)) \(failure.target): \(failure.reason)")
        }
        if failureDetails.count > 10 { lines.append("  … and \(failures - 10) more failures") }
        return lines.joined(separator: "\n")
    }

    /// `1.234s`.
    static func seconds(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let milliseconds = seconds * 1000 + attoseconds / 1_000_000_000_000_000
        return "\(milliseconds / 1000).\(String(format: "%03d", Int(milliseconds % 1000)))s"
    }
}
