import Foundation
import Logging
import Reconcile
import Synchronization

/// Watches a set of files and yields, debounced, the set of those that changed.
///
/// The operating system's part (which files changed) is `PlatformFileEvents` (see ``FileEventSource``): on
/// Linux, inotify on each file and on its directory, so that saves by rename, `git checkout` and
/// delete-then-recreate are all seen. Events for other files in the same directories are ignored.
///
/// Watching starts when the watcher is created, so changes made right after `init` are not missed.
/// Iterate it once: each element is the set of absolute paths that changed during one burst, reported
/// after `debounce` of quiet. Cancelling the iterating task (or ``stop()``, or releasing the watcher)
/// ends the OS watch and releases its resources.
public final class FileWatcher: AsyncSequence, Sendable {
    /// The set of watched absolute paths that changed.
    public typealias Element = Set<String>

    /// The watched files (absolute, standardised).
    public let paths: Set<String>
    private let debounce: Duration
    private let clock: any Clock<Duration>
    private let events: PlatformFileEvents
    private let shared: Shared

    private struct PendingChanges {
        var paths: Set<String> = []
        var generation: UInt64 = 0
        var stopped = false
    }

    /// What the OS watch and the iterating task share; the OS watch never holds the watcher itself,
    /// so releasing the watcher can stop it.
    private final class Shared: Sendable {
        let changes = Mutex(PendingChanges())
        let wakeup = AsyncWakeup()
    }

    /// Starts watching `paths`.
    /// - Parameters:
    ///   - paths: files to watch; relative paths are resolved against the working directory. A file may be
    ///     missing (it will be reported when it appears) but its directory must exist.
    ///   - debounce: how long the files must be quiet before a change is reported.
    ///   - clock: times the debounce; tests may inject another clock.
    ///   - logger: receives a debug line per reported batch.
    /// - Throws: ``BerthDaemonError`` when the OS refuses the watch (on Linux
    ///   ``BerthDaemonError/inotifyInitFailed(errno:)`` or ``BerthDaemonError/watchAddFailed(path:errno:)``).
    public init(
        paths: [String],
        debounce: Duration = .milliseconds(100),
        clock: any Clock<Duration> = ContinuousClock(),
        logger: Logger
    ) throws(BerthDaemonError) {
        let files = Set(paths.map { URL(fileURLWithPath: $0).standardizedFileURL.path })
        self.paths = files
        self.debounce = debounce
        self.clock = clock
        let shared = Shared()
        self.shared = shared
        events = try PlatformFileEvents(files: files) { touched in
            shared.changes.withLock { pending in
                pending.paths.formUnion(touched)
                pending.generation &+= 1
            }
            shared.wakeup.signal()
        }
        logger.debug("watching files", metadata: ["files": "\(files.sorted())"])
    }

    /// Stops watching: the OS watch ends and releases its resources; iteration ends.
    public func stop() {
        shared.changes.withLock { $0.stopped = true }
        events.stop()
        shared.wakeup.signal()
    }

    deinit {
        events.stop()
    }

    /// Iterates the watcher's change batches; it keeps the watcher alive while iterating.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let watcher: FileWatcher

        /// The next debounced batch, or `nil` once stopped or cancelled.
        public mutating func next() async -> Set<String>? {
            await watcher.nextBatch()
        }
    }

    /// See `AsyncSequence`.
    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(watcher: self)
    }

    private func nextBatch() async -> Set<String>? {
        while true {
            if shared.changes.withLock({ $0.stopped }) { return nil }
            await shared.wakeup.wait()
            if Task.isCancelled || shared.changes.withLock({ $0.stopped }) {
                stop()
                return nil
            }
            // Quiet-period debounce: restart the wait whenever more events arrived during it.
            var generation = shared.changes.withLock { $0.generation }
            while true {
                do {
                    try await clock.sleep(for: debounce)
                } catch {
                    stop()
                    return nil
                }
                let latest = shared.changes.withLock { $0.generation }
                if latest == generation { break }
                generation = latest
            }
            let batch = shared.changes.withLock { pending in
                defer { pending.paths.removeAll() }
                return pending.paths
            }
            // A stale wake-up (the batch was already taken) reports nothing: wait again.
            if !batch.isEmpty { return batch }
        }
    }
}
