import BerthDaemon
import Synchronization

/// Every state a forward shows from the moment the recorder is made, one entry per change, as
/// `PHASE REASON MESSAGE` (a change of reason or message alone counts too): for tests that must see no state in
/// between, not only where the forward ends. `stop()` (in a `defer`) ends the recording.
struct ForwardStateRecorder: Sendable {
    private let shown = Shown()
    private let collector: Task<Void, Never>

    /// Starts recording the states of forward `name` of `daemon`.
    init(_ name: String, of daemon: Daemon) {
        let shown = self.shown
        let changes = daemon.statusChanges()
        collector = Task {
            for await status in changes {
                guard let forward = status[name] else { continue }
                shown.append("\(forward.phase.rawValue) \(forward.reason.map { "\($0)" } ?? "") \(forward.message ?? "")")
            }
        }
    }

    /// The states seen so far, oldest first.
    var states: [String] { shown.list.withLock { $0 } }

    func stop() { collector.cancel() }

    private final class Shown: Sendable {
        let list = Mutex<[String]>([])

        func append(_ seen: String) { list.withLock { if $0.last != seen { $0.append(seen) } } }
    }
}
