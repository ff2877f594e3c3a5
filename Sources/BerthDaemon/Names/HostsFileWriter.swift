import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Reads and atomically replaces a hosts file (docs/local-names.md): the new text goes to a file beside it,
/// is fsynced, takes the old file's mode and owner, and is renamed over it, so a reader (the resolver) sees
/// the old file or the new one, never half of one.
public enum HostsFileWriter {
    /// The file's bytes; a missing file reads as empty.
    public static func read(_ path: String) throws(BerthDaemonError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT { return [] }
            throw failure(path, errno)
        }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count >= 0 else { throw failure(path, errno) }
            if count == 0 { return bytes }
            bytes += buffer[..<count]
        }
    }

    /// Replaces the file with `bytes`, keeping its mode and owner (a new file gets 0644).
    /// - Throws: `hostsFileNotWritable` when this user may not write it (not root), else `hostsFileFailed`.
    public static func write(_ bytes: [UInt8], to path: String) throws(BerthDaemonError) {
        // A symlinked hosts file is replaced where it points, not turned into a regular file.
        let target = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        var info = stat()
        let exists = stat(target, &info) == 0
        let directory = (target as NSString).deletingLastPathComponent
        let temporary = "\(directory)/.\((target as NSString).lastPathComponent).berth-\(getpid())-\(UInt32.random(in: .min ... .max))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw failure(path, errno) }
        var ok = bytes.withUnsafeBytes { StateFile<DaemonStatus>.writeAll(fd, $0) }
        if ok { ok = fchmod(fd, exists ? info.st_mode & 0o7777 : 0o644) == 0 }
        if ok, exists { ok = fchown(fd, info.st_uid, info.st_gid) == 0 }
        if ok { ok = fsync(fd) == 0 }
        let code = errno
        close(fd)
        guard ok else {
            unlink(temporary)
            throw failure(path, code)
        }
        guard rename(temporary, target) == 0 else {
            let code = errno
            unlink(temporary)
            // A hosts file bind-mounted into a container cannot be replaced, only rewritten where it is.
            if code == EBUSY { return try rewriteInPlace(bytes, path: target) }
            throw failure(path, code)
        }
        let directoryFD = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directoryFD >= 0 {
            fsync(directoryFD)
            close(directoryFD)
        }
    }

    private static func rewriteInPlace(_ bytes: [UInt8], path: String) throws(BerthDaemonError) {
        let fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC)
        guard fd >= 0 else { throw failure(path, errno) }
        defer { close(fd) }
        guard bytes.withUnsafeBytes({ StateFile<DaemonStatus>.writeAll(fd, $0) }), fsync(fd) == 0 else { throw failure(path, errno) }
    }

    private static func failure(_ path: String, _ code: Int32) -> BerthDaemonError {
        switch code {
        case EACCES, EPERM, EROFS: .hostsFileNotWritable(path: path, reason: BerthDaemonError.reason(code))
        default: .hostsFileFailed(path: path, reason: BerthDaemonError.reason(code))
        }
    }
}
