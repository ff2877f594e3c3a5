import BerthDaemon
import Dispatch
import Foundation
import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Runs a `Daemon` in the foreground until SIGINT or SIGTERM, shared by `berth up` and `berth forward`.
enum DaemonRunner {
    /// Runs `daemon`; `watch` consumes status changes (the live table, the "Forwarding from" lines) while it runs.
    static func run(_ daemon: Daemon, watch: @escaping @Sendable (AsyncStream<DaemonStatus>) async -> Void) async throws {
        let queue = DispatchQueue(label: "berth.signals")
        let sources = [SIGINT, SIGTERM].map { number -> any DispatchSourceSignal in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { daemon.stop() }
            source.resume()
            return source
        }
        defer { for source in sources { source.cancel() } }
        let changes = daemon.statusChanges()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await watch(changes) }
            try await daemon.run()
            group.cancelAll()
        }
    }

    /// A logger to stderr at `level` (or `$BERTH_LOG_LEVEL`: trace, debug, info, …), for the daemon and its forwards.
    static func logger(level: Logger.Level) -> Logger {
        var logger = Logger(label: "berth") { label in StreamLogHandler.standardError(label: label) }
        logger.logLevel = ProcessInfo.processInfo.environment["BERTH_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? level
        return logger
    }

    /// Whether stdout is a terminal (then `berth up` draws a live table).
    static var stdoutIsTerminal: Bool { isatty(STDOUT_FILENO) == 1 }
}
