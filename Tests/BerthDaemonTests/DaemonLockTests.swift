import BerthDaemon
import BerthTestSupport
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite struct DaemonLockTests {
    /// Acquires, retrying for a moment: a process that another test spawns concurrently holds a copy of
    /// every descriptor (close-on-exec ones included) until it execs, which can keep a released lock
    /// referenced for that instant. There is no event for "that child has exec'd".
    private func acquireSoon(_ path: String) async throws -> DaemonLock {
        let deadline = ContinuousClock.now + .seconds(5)
        while true {
            let attempt: Result<DaemonLock, BerthDaemonError>
            do {
                attempt = .success(try DaemonLock.acquire(path: path))
            } catch {
                attempt = .failure(error)
            }
            switch attempt {
            case .success(let lock):
                return lock
            case .failure(.alreadyRunning) where ContinuousClock.now < deadline:
                try await Task.sleep(for: .milliseconds(10))
            case .failure(let error):
                throw error
            }
        }
    }

    @Test func aSecondAcquirerIsToldTheHoldersPID() async throws {
        try await withTemporaryDirectory { dir in
            let path = dir + "/set.lock"
            let first = try DaemonLock.acquire(path: path)
            #expect(fileMode(path)?.permissions == 0o600)
            // flock locks belong to open file descriptions: a second open contends even in this process.
            #expect(throws: BerthDaemonError.alreadyRunning(pid: getpid(), lockPath: path)) {
                try DaemonLock.acquire(path: path)
            }
            first.release()
            let again = try await acquireSoon(path)
            again.release()
        }
    }

    @Test func anotherProcessHoldingTheLockBlocksUntilItExits() async throws {
        try await withTemporaryDirectory { dir in
            let path = dir + "/set.lock"
            let ready = dir + "/ready"
            // The shell opens the lock file as fd 9, flock(1) locks it and exits, and the shell becomes
            // `sleep` still holding fd 9: a single process holds the lock.
            let holder = try ChildProcess.spawn([
                "/bin/sh", "-c", "exec 9>>'\(path)' && flock -n 9 && touch '\(ready)' && exec sleep 30",
            ])
            var reaped = false
            defer { if !reaped { holder.killAndReap() } }
            try await eventually("the lock holder ready", within: 5) { FileManager.default.fileExists(atPath: ready) }

            do {
                _ = try DaemonLock.acquire(path: path)
                Issue.record("the lock is held by another process")
            } catch let error as BerthDaemonError {
                guard case .alreadyRunning(_, let lockPath) = error else {
                    Issue.record("unexpected \(error)")
                    return
                }
                #expect(lockPath == path)
            }
            // The kernel drops the lock when its holder dies, however it dies.
            holder.killAndReap()
            reaped = true
            let lock = try await acquireSoon(path)
            #expect(DaemonLock.holderPID(path: path) == getpid())
            lock.release()
        }
    }

    @Test func manifestSetsAreIdentifiedRegardlessOfOrderAndSpelling() {
        let a = ManifestSet(paths: ["b.yaml", "./a.yaml", "sub/../b.yaml"], relativeTo: "/work/app")
        let b = ManifestSet(paths: ["/work/app/a.yaml", "/work/app/b.yaml"], relativeTo: "/elsewhere")
        #expect(a.paths == ["/work/app/a.yaml", "/work/app/b.yaml"])
        #expect(a.id == b.id)
        #expect(a.id.count == 16)
        #expect(ManifestSet(paths: ["/work/app/a.yaml"]).id != a.id)
    }
}
