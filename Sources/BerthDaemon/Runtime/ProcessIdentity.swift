import Foundation

/// A process as the kernel identifies it over time: its PID plus its start time.
///
/// A PID alone is reused after the process dies; the start time (from the platform seam
/// `PlatformProcessStart`: on Linux field 22 of `/proc/PID/stat`, in clock ticks since boot) tells a new
/// process with the same PID apart from the one that wrote a state file.
public struct ProcessIdentity: Codable, Hashable, Sendable {
    /// The process ID.
    public var pid: Int32
    /// The start time, in the platform's unit (Linux: clock ticks since boot); only compared for equality.
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
        PlatformProcessStart.startTime(of: pid).map { ProcessIdentity(pid: pid, startTicks: $0) }
    }

    /// Whether this very process (not merely its PID) is still running.
    public var isAlive: Bool {
        Self.of(pid: pid) == self
    }
}
