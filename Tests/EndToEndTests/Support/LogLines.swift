import Logging
import Synchronization

/// Every log line at info level and above, message and metadata, for tests of what berth tells its user.
final class LogLines: Sendable {
    private let stored = Mutex<[String]>([])

    var lines: [String] { stored.withLock { $0 } }

    var logger: Logger {
        Logger(label: "berth.test") { _ in Handler(capture: self) }
    }

    private struct Handler: LogHandler {
        let capture: LogLines
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .info

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let all = metadata.merging(event.metadata ?? [:]) { $1 }
            let fields = all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            capture.stored.withLock { $0.append("\(event.level) \(event.message) \(fields)") }
        }
    }
}
