import Foundation
import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// What `berth up`, `berth forward` and `berth demo` share in the foreground. Their lifecycle (SIGINT and
/// SIGTERM stop them gracefully) is `DaemonLifecycle`'s.
enum Foreground {
    /// A logger to stderr at `level` (or `$BERTH_LOG_LEVEL`: trace, debug, info, …), for the daemon and its forwards.
    static func logger(level: Logger.Level) -> Logger {
        var logger = Logger(label: "berth") { label in StreamLogHandler.standardError(label: label) }
        logger.logLevel = ProcessInfo.processInfo.environment["BERTH_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? level
        return logger
    }

    /// Whether stdout is a terminal (then `berth up` draws a live table).
    static var stdoutIsTerminal: Bool { isatty(STDOUT_FILENO) == 1 }
}

/// A value a service sets while it runs and the command reads after the group has stopped (the message that
/// ended `berth forward`, the demo's summary). The first value set wins.
final class Outcome<Value: Sendable>: Sendable {
    private let value = Mutex<Value?>(nil)

    /// Records `newValue` unless a value is already set.
    func set(_ newValue: Value) { value.withLock { $0 = $0 ?? newValue } }

    /// The value set, if any.
    var current: Value? { value.withLock { $0 } }
}
