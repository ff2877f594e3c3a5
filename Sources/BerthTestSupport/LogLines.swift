import Logging
import Synchronization

/// Every log line at info level and above, for tests of what berth tells its user: `lines` with level and metadata,
/// `messages` with the message alone.
public final class LogLines: Sendable {
    private struct Entry {
        var message: String
        var line: String
    }

    private let stored = Mutex<[Entry]>([])

    public init() {}

    /// Each line as `LEVEL MESSAGE KEY=VALUE …` (metadata sorted by key), oldest first.
    public var lines: [String] { stored.withLock { $0.map(\.line) } }

    /// Each line's message alone, oldest first.
    public var messages: [String] { stored.withLock { $0.map(\.message) } }

    /// A logger that records here.
    public var logger: Logger {
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
            let entry = Entry(message: "\(event.message)", line: "\(event.level) \(event.message) \(fields)")
            capture.stored.withLock { $0.append(entry) }
        }
    }
}
