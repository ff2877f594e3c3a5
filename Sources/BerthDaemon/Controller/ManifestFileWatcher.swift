#if canImport(Glibc)
import Glibc
import Foundation

/// Reports changes to a set of files by watching their directories with inotify, so saves by rename
/// (vim, VS Code, JetBrains, `git checkout`) and delete-then-recreate are seen like in-place writes.
///
/// The blocking `poll` runs on a thread of its own; ending the stream wakes it through a pipe.
/// (The daemon's own `FileWatcher` is built elsewhere; this stays until it lands.)
enum ManifestFileWatcher {
    /// Yields once per burst of changes to any of `paths`; ends when the consumer stops iterating.
    static func changes(of paths: [String]) -> AsyncStream<Void> {
        let (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let files = paths.map { URL(fileURLWithPath: $0).standardizedFileURL }
        let directories = Set(files.map { $0.deletingLastPathComponent().path })
        let names = Set(files.map(\.lastPathComponent))

        let fd = inotify_init1(Int32(IN_CLOEXEC | IN_NONBLOCK))
        var wake: [Int32] = [-1, -1]
        guard fd >= 0, pipe(&wake) == 0 else {
            continuation.finish()
            return stream
        }
        let mask = UInt32(IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE | IN_MODIFY | IN_ATTRIB)
        for directory in directories {
            _ = inotify_add_watch(fd, directory, mask)
        }
        let (readEnd, writeEnd) = (wake[0], wake[1])
        continuation.onTermination = { _ in
            var byte: UInt8 = 1
            _ = write(writeEnd, &byte, 1)
        }
        let thread = Thread {
            defer {
                close(fd)
                close(readEnd)
                close(writeEnd)
            }
            var buffer = [UInt8](repeating: 0, count: 64 * 1024)
            while true {
                var fds = [pollfd(fd: fd, events: Int16(POLLIN), revents: 0), pollfd(fd: readEnd, events: Int16(POLLIN), revents: 0)]
                let ready = poll(&fds, 2, -1)
                if ready < 0, errno == EINTR { continue }
                if ready < 0 || fds[1].revents != 0 { return }
                let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                guard count > 0 else { continue }
                if touches(names, in: buffer, count: count) { continuation.yield() }
            }
        }
        thread.name = "berth-manifest-watch"
        thread.start()
        return stream
    }

    /// Whether any `inotify_event` in the buffer names one of the files.
    private static func touches(_ names: Set<String>, in buffer: [UInt8], count: Int) -> Bool {
        var offset = 0
        let header = MemoryLayout<inotify_event>.size
        while offset + header <= count {
            let length = buffer.withUnsafeBytes { Int($0.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self)) }
            let start = offset + header
            let nameBytes = buffer[start..<min(start + length, count)].prefix { $0 != 0 }
            if names.contains(String(decoding: nameBytes, as: UTF8.self)) { return true }
            offset = start + length
        }
        return false
    }
}
#endif
