import BerthDaemon

/// Turns the daemon's successive statuses into the events the demo prints: a forward ready for the first time,
/// a forward that lost its pod, a forward back on a replacement, a forward that failed.
///
/// A value: fed one status at a time, it returns what changed since the last one.
struct RebindTracker {
    /// Something worth a line in the demo's output.
    enum Event: Sendable, Hashable {
        /// The forward is Ready for the first time.
        case ready(forward: String, pod: String)
        /// The forward's pod went away; its listener stays and new connections wait.
        case lost(forward: String, pod: String, phase: ForwardPhase, message: String?)
        /// The forward is Ready again, on `to` (a StatefulSet's replacement keeps its name), `after` it lost `from`.
        case rebound(forward: String, from: String, to: String, after: Duration)
        /// The forward failed (for example: its local port is taken).
        case failed(forward: String, reason: ForwardReason?, message: String?)
    }

    private struct Entry {
        var phase: ForwardPhase
        var pod: String?
        var lastReadyPod: String?
        var lostAt: Duration?
    }

    private var entries: [String: Entry] = [:]

    /// Whether every forward has been Ready at least once.
    private(set) var allReadyOnce = false

    /// The events between the previous status and `status`, seen at `now` (from the demo's start).
    mutating func observe(_ status: DaemonStatus, at now: Duration) -> [Event] {
        var events: [Event] = []
        for forward in status.forwards {
            let previous = entries[forward.name]
            var entry = previous ?? Entry(phase: forward.phase)
            entry.phase = forward.phase
            entry.pod = forward.pod
            switch forward.phase {
            case .ready:
                guard let pod = forward.pod else { break }
                if let last = previous?.lastReadyPod {
                    let wasDown = previous?.phase != .ready
                    if wasDown || last != pod {
                        let since = previous?.lostAt ?? now
                        events.append(.rebound(forward: forward.name, from: last, to: pod, after: now - since))
                    }
                } else {
                    events.append(.ready(forward: forward.name, pod: pod))
                }
                entry.lastReadyPod = pod
                entry.lostAt = nil
            case .pending, .rebinding:
                if previous?.phase == .ready, let pod = previous?.lastReadyPod {
                    entry.lostAt = now
                    events.append(.lost(forward: forward.name, pod: pod, phase: forward.phase, message: forward.message))
                }
            case .failed:
                if previous?.phase != .failed {
                    if previous?.phase == .ready { entry.lostAt = now }
                    events.append(.failed(forward: forward.name, reason: forward.reason, message: forward.message))
                }
            case .disabled:
                break
            }
            entries[forward.name] = entry
        }
        let enabled = status.forwards.filter { $0.phase != .disabled }
        if !enabled.isEmpty, enabled.allSatisfy({ entries[$0.name]?.lastReadyPod != nil }) { allReadyOnce = true }
        return events
    }
}
