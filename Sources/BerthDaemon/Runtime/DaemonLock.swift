import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The one-daemon-per-manifest-set lock: an exclusive `flock` on a file named after the manifest set.
///
/// The kernel drops a `flock` when its holder exits, however it exits (even `kill -9`), so a crashed
/// daemon never blocks the next one. The holder writes its PID into the file so that a second
/// `berth up` can say who serves the manifests. The holder removes the file when it releases the lock (a
/// stopped or failed `berth up` leaves nothing behind); an acquirer that locked a file removed meanwhile
/// notices (the path no longer names it) and starts over, so two daemons never hold two files of one name.
public final class DaemonLock: Sendable {
    /// The lock file's path.
    public let path: String
    private let descriptor: Mutex<Int32?>

    private init(path: String, descriptor: Int32) {
        self.path = path
        self.descriptor = Mutex(descriptor)
    }

    /// Takes the lock without waiting.
    /// - Throws: ``BerthDaemonError/alreadyRunning(pid:lockPath:)`` with the holder's PID when another
    ///   process (or another descriptor in this one) holds it.
    public static func acquire(path: String) throws(BerthDaemonError) -> DaemonLock {
        var fd: Int32
        repeat {
            fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw .lockFailed(path: path, errno: errno) }
            while flock(fd, LOCK_EX | LOCK_NB) != 0 {
                let code = errno
                if code == EINTR { continue }
                close(fd)
                if code == EWOULDBLOCK { throw .alreadyRunning(pid: holderPID(path: path), lockPath: path) }
                throw .lockFailed(path: path, errno: code)
            }
        } while !stillNamed(fd, path: path)
        let pid = Array("\(getpid())\n".utf8)
        // The PID is informational: a failure to record it does not make the lock less held.
        _ = ftruncate(fd, 0)
        _ = pid.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        return DaemonLock(path: path, descriptor: fd)
    }

    /// The PID recorded in a lock file, if it holds one.
    public static func holderPID(path: String) -> Int32? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        return Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// Releases the lock and removes its file; later calls do nothing. The file goes while the lock is still
    /// held: an acquirer that opened it just before sees, once it gets the lock, that the path names it no more.
    public func release() {
        guard let fd = descriptor.withLock({ descriptor in
            defer { descriptor = nil }
            return descriptor
        }) else { return }
        unlink(path)
        close(fd)
    }

    /// Whether `path` still names the file open as `fd`; if not, a releasing holder removed it after we opened
    /// it, and the lock taken is on a file nobody else can find. Closes `fd` when it returns false.
    private static func stillNamed(_ fd: Int32, path: String) -> Bool {
        var opened = stat()
        var named = stat()
        if fstat(fd, &opened) == 0, stat(path, &named) == 0, opened.st_dev == named.st_dev, opened.st_ino == named.st_ino {
            return true
        }
        close(fd)
        return false
    }

    deinit {
        release()
    }
}
