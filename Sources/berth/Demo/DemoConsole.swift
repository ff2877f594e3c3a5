import BerthDaemon
import Foundation
import Synchronization

/// Where the demo's output goes: a live screen on a terminal (status table, counters, recent events, redrawn),
/// or plain timestamped lines otherwise (pipes, CI, tests).
final class DemoConsole: Sendable {
    /// How output is drawn.
    enum Mode: Sendable {
        /// Clear and redraw the screen: table on top, then counters, then the latest events.
        case live
        /// One line per event, never redrawn.
        case plain
    }

    private struct State {
        var header: [String] = []
        var status: DaemonStatus?
        var recent: [String] = []
        var counts = (sent: 0, failed: 0)
    }

    /// Events kept on the live screen.
    static let recentLimit = 12

    let mode: Mode
    private let write: @Sendable (String) -> Void
    private let state = Mutex(State())

    /// `write` receives whole chunks of text, newlines included.
    init(mode: Mode, write: @escaping @Sendable (String) -> Void) {
        self.mode = mode
        self.write = write
    }

    /// Lines shown above everything (where the cluster and manifest are).
    func setHeader(_ lines: [String]) {
        state.withLock { $0.header = lines }
        if mode == .plain { write(lines.joined(separator: "\n") + "\n") }
        redraw()
    }

    /// Adds a line under the header (a server's URL, once it listens); plain output prints it at once.
    func addHeader(_ line: String) {
        state.withLock { $0.header.append(line) }
        if mode == .plain { write(line + "\n") }
        redraw()
    }

    /// One event, stamped with the time since the demo started.
    func event(_ text: String, at time: Duration) {
        let line = "[\(DemoSummary.seconds(time).leftPadded(to: 8))] \(text)"
        state.withLock { state in
            state.recent.append(line)
            if state.recent.count > Self.recentLimit { state.recent.removeFirst(state.recent.count - Self.recentLimit) }
        }
        if mode == .plain { write(line + "\n") } else { redraw() }
    }

    /// The daemon's latest status; the live screen shows it at once, plain output only when `printTable` asks.
    func show(_ status: DaemonStatus) {
        state.withLock { $0.status = status }
        redraw()
    }

    /// Plain output: prints the status table now.
    func printTable() {
        guard mode == .plain, let status = state.withLock({ $0.status }) else { return }
        write(StatusTable.render(status) + "\n")
    }

    /// Request counters, shown on the live screen; plain output prints them as an event.
    func counters(sent: Int, failed: Int, at time: Duration) {
        state.withLock { $0.counts = (sent, failed) }
        if mode == .plain { event("requests: \(sent) sent, \(failed) failed", at: time) } else { redraw() }
    }

    /// Writes text as is (the summary).
    func print(_ text: String) {
        write(text + "\n")
    }

    private func redraw() {
        guard mode == .live else { return }
        let screen = state.withLock { state -> String in
            var parts = state.header
            if let status = state.status { parts += ["", StatusTable.render(status)] }
            parts += ["", "requests: \(state.counts.sent) sent, \(state.counts.failed) failed", ""]
            parts += state.recent
            return "\u{1B}[H\u{1B}[2J" + parts.joined(separator: "\n") + "\n"
        }
        write(screen)
    }
}

extension String {
    /// Pads on the left with spaces, so that columns of numbers line up.
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
