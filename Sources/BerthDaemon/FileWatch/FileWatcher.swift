import Foundation
import Logging
import Reconcile
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Watches a set of files with inotify and yields, debounced, the set of those that changed.
///
/// Each file's directory is watched as well as the file itself, because editors save by writing a new
/// file and renaming it over the old one (vim, VS Code, JetBrains), `git checkout` replaces files, and a
/// user may delete and recreate one: none of those touch the inode a file-only watch would follow.
/// Events for other files in the same directories are ignored.
///
/// Watching starts when the watcher is created, so changes made right after `init` are not missed.
/// Iterate it once: each element is the set of absolute paths that changed during one burst, reported
/// after `debounce` of quiet. Cancelling the iterating task (or ``stop()``, or releasing the watcher)
/// ends the reader thread and closes its descriptors.
public final class FileWatcher: AsyncSequence, Sendable {
    /// The set of watched absolute paths that changed.
    public typealias Element = Set<String>

    /// The watched files (absolute, standardised).
    public let paths: Set<String>
    private let debounce: Duration
    private let clock: any Clock<Duration>
    private let reader: DescriptorReader
    private let shared: Shared

    private struct PendingChanges {
        var paths: Set<String> = []
        var generation: UInt64 = 0
        var stopped = false
    }

    /// What the reader thread and the iterating task share; the thread never holds the watcher itself,
    /// so releasing the watcher can stop the thread.
    private final class Shared: Sendable {
        let table: Mutex<WatchTable>
        let changes = Mutex(PendingChanges())
        let wakeup = AsyncWakeup()

        init(table: WatchTable) {
            self.table = Mutex(table)
        }
    }

    /// Starts watching `paths`.
    /// - Parameters:
    ///   - paths: files to watch; relative paths are resolved against the working directory. A file may be
    ///     missing (it will be reported when it appears) but its directory must exist.
    ///   - debounce: how long the files must be quiet before a change is reported.
    ///   - clock: times the debounce; tests may inject another clock.
    ///   - logger: receives a debug line per reported batch.
    /// - Throws: ``BerthDaemonError/inotifyInitFailed(errno:)`` or ``BerthDaemonError/watchAddFailed(path:errno:)``.
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

        let fd = inotify_init1(Int32(IN_NONBLOCK) | Int32(IN_CLOEXEC))
        guard fd >= 0 else { throw .inotifyInitFailed(errno: errno) }
        let reader = try DescriptorReader(descriptor: fd)
        self.reader = reader

        var table = WatchTable(files: files)
        for directory in table.namesByDirectory.keys.sorted() {
            let watch = inotify_add_watch(fd, directory, InotifyMask.directory)
            guard watch >= 0 else {
                let code = errno
                reader.stop()
                throw .watchAddFailed(path: directory, errno: code)
            }
            table.record(watch, .directory(directory))
        }
        for file in files {
            // A missing file is fine: its directory's watch reports it when it appears.
            let watch = inotify_add_watch(fd, file, InotifyMask.file)
            if watch >= 0 { table.record(watch, .file(file)) }
        }

        let shared = Shared(table: table)
        self.shared = shared
        reader.start(name: "berth-inotify") { descriptor in
            Self.drain(descriptor, shared: shared)
        }
        logger.debug("watching files", metadata: ["files": "\(files.sorted())"])
    }

    /// Stops watching: the reader thread exits and closes its descriptors; iteration ends.
    public func stop() {
        shared.changes.withLock { $0.stopped = true }
        reader.stop()
        shared.wakeup.signal()
    }

    deinit {
        reader.stop()
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

    /// Reads every pending event (the descriptor is non-blocking) and reports the watched files touched.
    private static func drain(_ descriptor: Int32, shared: Shared) -> Bool {
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        var touched: Set<String> = []
        while true {
            let count = read(descriptor, &buffer, buffer.count)
            if count < 0 {
                if errno == EINTR { continue }
                if errno == EAGAIN || errno == EWOULDBLOCK { break }
                return false
            }
            if count == 0 { break }
            let events = buffer.withUnsafeBytes { InotifyEvent.parse(UnsafeRawBufferPointer(rebasing: $0[..<count])) }
            shared.table.withLock { table in
                for event in events { touched.formUnion(table.files(touchedBy: event)) }
            }
        }
        guard !touched.isEmpty else { return true }
        // A replaced file is a new inode: watch it again (re-adding an existing watch is harmless).
        for file in touched {
            let watch = inotify_add_watch(descriptor, file, InotifyMask.file)
            if watch >= 0 { shared.table.withLock { $0.record(watch, .file(file)) } }
        }
        shared.changes.withLock { pending in
            pending.paths.formUnion(touched)
            pending.generation &+= 1
        }
        shared.wakeup.signal()
        return true
    }
}
