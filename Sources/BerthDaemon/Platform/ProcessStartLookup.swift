/// What the operating system can say about when a process started, so that a PID reused by a new process is
/// told apart from the one that wrote a state file (``ProcessIdentity``).
///
/// Each platform provides one implementation, named `PlatformProcessStart`, in `Platform/<OS>/`; on Linux it
/// reads /proc/PID/stat.
protocol ProcessStartLookup {
    /// When the live process `pid` started, in the platform's own unit (only ever compared for equality);
    /// nil when there is no such process, or only a zombie.
    static func startTime(of pid: Int32) -> UInt64?
}
