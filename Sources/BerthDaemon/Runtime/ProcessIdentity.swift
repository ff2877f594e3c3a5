import Foundation

/// A process as the kernel identifies it over time: its PID plus its start time.
///
/// A PID alone is reused after the process dies; the start time (field 22 of `/proc/PID/stat`, in clock
/// ticks since boot) tells a new process with the same PID apart from the one that wrote a state file.
public struct ProcessIdentity: Codable, Hashable, Sendable {
    /// The process ID.
    public var pid: Int32
    /// The start time in clock ticks since boot.
    public var startTicks: UInt64

    /// Creates an identity from known values.
    public init(pid: Int32, startTicks: UInt64) {
        self.pid = pid
        self.startTicks = startTicks
    }

    /// The identity of this process.
    public static func current() -> ProcessIdentity? {
        of(pid: getpid())
    }

    /// The identity of the live process `pid`, or `nil` if there is none (or only a zombie).
    public static func of(pid: Int32) -> ProcessIdentity? {
        guard pid > 0, let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else {
            return nil
        }
        // The command name (field 2) may contain spaces and parentheses; fields resume after the last ")".
        guard let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // fields[0] is field 3 (state), so field 22 (starttime) is fields[19].
        guard fields.count > 19, let ticks = UInt64(fields[19]) else { return nil }
        if fields[0] == "Z" || fields[0] == "X" { return nil }
        return ProcessIdentity(pid: pid, startTicks: ticks)
    }

    /// Whether this very process (not merely its PID) is still running.
    public var isAlive: Bool {
        Self.of(pid: pid) == self
    }
}
