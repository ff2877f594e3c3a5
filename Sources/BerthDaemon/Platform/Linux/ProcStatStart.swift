#if os(Linux)
import Foundation

/// A process's start time from /proc/PID/stat: field 22 (`starttime`), in clock ticks since boot.
enum ProcStatStart: ProcessStartLookup {
    static func startTime(of pid: Int32) -> UInt64? {
        guard pid > 0, let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else {
            return nil
        }
        // The command name (field 2) may contain spaces and parentheses; fields resume after the last ")".
        guard let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // fields[0] is field 3 (state), so field 22 (starttime) is fields[19].
        guard fields.count > 19, let ticks = UInt64(fields[19]) else { return nil }
        if fields[0] == "Z" || fields[0] == "X" { return nil }
        return ticks
    }
}

typealias PlatformProcessStart = ProcStatStart
#endif
