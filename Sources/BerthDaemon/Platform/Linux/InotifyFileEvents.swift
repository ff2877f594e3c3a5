#if os(Linux)
import Glibc
import Synchronization

/// File events from inotify.
///
/// Each file's directory is watched as well as the file itself, because editors save by writing a new
/// file and renaming it over the old one (vim, VS Code, JetBrains), `git checkout` replaces files, and a
/// user may delete and recreate one: none of those touch the inode a file-only watch would follow.
/// Events for other files in the same directories are ignored.
final class InotifyFileEvents: FileEventSource {
    private let reader: DescriptorReader

    /// Which watch descriptor stands for what; shared with the reader thread.
    private final class Table: Sendable {
        let table: Mutex<WatchTable>

        init(_ table: WatchTable) {
            self.table = Mutex(table)
        }
    }

    /// Starts watching; see ``FileEventSource``.
    /// - Throws: ``BerthDaemonError/inotifyInitFailed(errno:)`` or ``BerthDaemonError/watchAddFailed(path:errno:)``.
    init(files: Set<String>, touched: @escaping @Sendable (Set<String>) -> Void) throws(BerthDaemonError) {
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

        let shared = Table(table)
        reader.start(name: "berth-inotify") { descriptor in
            Self.drain(descriptor, table: shared, touched: touched)
        }
    }

    /// Stops watching: the reader thread exits and closes its descriptors.
    func stop() {
        reader.stop()
    }

    deinit {
        reader.stop()
    }

    /// Reads every pending event (the descriptor is non-blocking) and reports the watched files touched.
    private static func drain(_ descriptor: Int32, table: Table, touched report: (Set<String>) -> Void) -> Bool {
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
            table.table.withLock { table in
                for event in events { touched.formUnion(table.files(touchedBy: event)) }
            }
        }
        guard !touched.isEmpty else { return true }
        // A replaced file is a new inode: watch it again (re-adding an existing watch is harmless).
        for file in touched {
            let watch = inotify_add_watch(descriptor, file, InotifyMask.file)
            if watch >= 0 { table.table.withLock { $0.record(watch, .file(file)) } }
        }
        report(touched)
        return true
    }
}

/// This platform's file events: inotify.
typealias PlatformFileEvents = InotifyFileEvents
#endif
