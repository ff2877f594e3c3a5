#if os(Linux)
import Foundation
import Synchronization
import Glibc

/// Opens a socket inside another network namespace without moving the daemon there.
///
/// A socket belongs to the namespace of the thread that created it, for its whole life. So a short-lived
/// thread joins the namespace (`setns` affects only the calling thread), creates the socket, and exits;
/// no other thread of the process ever changes namespace.
enum NamespaceSocket {
    /// `setns(2)`: Swift's Glibc module does not import it (it needs `_GNU_SOURCE`), so it is looked up by name.
    private typealias SetNamespace = @convention(c) (Int32, Int32) -> Int32
    /// `CLONE_NEWNET` from `<sched.h>`, not imported for the same reason.
    private static let cloneNewNet: Int32 = 0x4000_0000

    static func open(
        namespacePath: String?,
        _ makeSocket: @escaping @Sendable () throws(BerthDaemonError) -> Int32
    ) throws(BerthDaemonError) -> Int32 {
        guard let namespacePath else { return try makeSocket() }
        let outcome = OutcomeBox()
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            defer { done.signal() }
            let namespace = Glibc.open(namespacePath, O_RDONLY | O_CLOEXEC)
            guard namespace >= 0 else {
                outcome.set(.failure(.namespaceJoinFailed(path: namespacePath, errno: errno)))
                return
            }
            defer { close(namespace) }
            guard let setns = dlsym(nil, "setns").map({ unsafeBitCast($0, to: SetNamespace.self) }) else {
                outcome.set(.failure(.namespaceJoinFailed(path: namespacePath, errno: ENOSYS)))
                return
            }
            guard setns(namespace, cloneNewNet) == 0 else {
                outcome.set(.failure(.namespaceJoinFailed(path: namespacePath, errno: errno)))
                return
            }
            do throws(BerthDaemonError) {
                outcome.set(.success(try makeSocket()))
            } catch {
                outcome.set(.failure(error))
            }
        }
        thread.name = "berth-netns"
        thread.start()
        done.wait()
        return try outcome.get()
    }

    /// Carries the thread's result back; written once before the semaphore is signalled.
    private final class OutcomeBox: Sendable {
        private let value = Mutex<Result<Int32, BerthDaemonError>?>(nil)

        func set(_ result: Result<Int32, BerthDaemonError>) { value.withLock { $0 = result } }

        func get() throws(BerthDaemonError) -> Int32 {
            guard let result = value.withLock({ $0 }) else { throw .namespaceJoinFailed(path: "?", errno: EINVAL) }
            return try result.get()
        }
    }
}
#endif
