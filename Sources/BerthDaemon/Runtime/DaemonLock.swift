import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The one-daemon-per-manifest-set lock: an exclusive `flock` on a file named after the manifest set.
///
/// The kernel drops a `flock` when its holder exits, however it exits (even `kill -9`), so a crashed
/// daemon never blocks the next one. The holder writes its PID into the file so that a second
/// `berth up` can say who serves the manifests.
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
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .lockFailed(path: path, errno: errno) }
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            if code == EINTR { continue }
            close(fd)
            if code == EWOULDBLOCK { throw .alreadyRunning(pid: holderPID(path: path), lockPath: path) }
            throw .lockFailed(path: path, errno: code)
        }
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

    /// Releases the lock; later calls do nothing. The file stays: unlinking it would let two daemons
    /// lock two different files of the same name.
    public func release() {
        guard let fd = descriptor.withLock({ descriptor in
            defer { descriptor = nil }
            return descriptor
        }) else { return }
        _ = ftruncate(fd, 0)
        close(fd)
    }

    deinit {
        release()
    }
}
