import BerthDaemon
import BerthTestSupport
import FakeKube
import Logging
import Synchronization
import Testing

/// Malformed watch events on berth's live watches, sent by the API server itself (FakeKube's
/// `chaos/malformed-watch-event`): the forward keeps carrying connections, the watch starts again and the log names
/// the problem with its request once; the forward stays Ready throughout (docs/fake-kube.md, docs/informers.md).
@Suite(.serialized, .timeLimit(.minutes(2)))
struct MalformedWatchEndToEndTests {
    /// Words of the error each kind of bad event must be logged with.
    static func says(_ malformed: MalformedWatchEvent) -> String {
        switch malformed {
        case .truncated: "watch connection closed in the middle of an event"
        case .wrongTypes, .loneSurrogate: "watch event did not decode"
        case .hugeString: "an event larger than 16 MiB"
        }
    }

    @Test(arguments: MalformedWatchEvent.allCases)
    func aForwardStaysReadyThroughAMalformedWatchEventAndTheLogNamesItOnce(_ malformed: MalformedWatchEvent) async throws {
        try await Harness.with { harness in
            try harness.writeManifest("""
                apiVersion: berth/v1
                kind: Forwards
                forwards:
                  - name: lone
                    pod: lone
                    ports: [{local: 0, remote: 7000}]
                """)
            let log = LogLines()
            try await harness.withDaemon(logger: log.logger) { daemon in
                let ready = try await awaitStatus(daemon, "lone Ready") { $0.isPhase("lone", .ready) }
                let port = try #require(ready.port("lone"))
                // Every state the forward shows from here on (a change in reason or message counts too).
                let shown = Mutex<[String]>([])
                let changes = daemon.statusChanges()
                let collector = Task {
                    for await status in changes {
                        guard let forward = status["lone"] else { continue }
                        let seen = "\(forward.phase.rawValue) \(forward.reason.map { "\($0)" } ?? "") \(forward.message ?? "")"
                        shown.withLock { if $0.last != seen { $0.append(seen) } }
                    }
                }
                defer { collector.cancel() }
                let server = harness.server
                // Ready comes with the first list; the watch opens right after it.
                try await eventually("the pods watch is open") {
                    server.stats().count(verb: "watch", resource: "pods") >= 1 && server.stats().openWatches >= 1
                }
                let watches = server.stats().count(verb: "watch", resource: "pods")
                #expect(server.sendMalformedWatchEvent(malformed, resource: .pods) >= 1, "no pods watch was open")
                try await eventually("the pods watch starts again", within: 30) {
                    server.stats().count(verb: "watch", resource: "pods") > watches
                }
                let answer = try await TestHTTP.get(port: port)
                #expect(answer.contains("\"pod\":\"lone\""), "\(answer.prefix(200))")
                #expect(await daemon.status().isPhase("lone", .ready))
                let states = shown.withLock { $0 }
                let lines = log.lines.filter { $0.contains(Self.says(malformed)) }
                #expect(!lines.isEmpty, "the log does not name the problem")
                #expect(lines.contains { $0.contains("/pods") }, "the log names the request: \(lines)")
                #expect(lines.allSatisfy { $0.count < 1500 }, "a line quotes the answer: \(lines)")
                // A synced store keeps its last good state through a failing watch: Ready throughout, said once.
                #expect(states.allSatisfy { $0.hasPrefix("Ready") }, "the forward left Ready: \(states)")
                #expect(lines.count == 1, "\(lines)")
            }
        }
    }
}

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
