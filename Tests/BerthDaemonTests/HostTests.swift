import BerthDaemon
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite(.timeLimit(.minutes(1)))
struct HostTests {
    @Test func aSecondHostOnTheSameFilesIsToldWhichPIDServesThem() async throws {
        try await withTemporaryDirectory { dir in
            let daemon = try hostTestDaemon(in: dir)
            let first = testHost(daemon, in: dir)
            // The same files named another way (relative, unsorted) are the same set.
            let second = DaemonHost(
                daemon: try hostTestDaemon(in: dir), manifestSet: ManifestSet(paths: ["./forwards.yaml"], relativeTo: dir),
                runtimeDirectory: first.runtimeDirectory, logger: quietLogger)
            try await whileHosting(first) {
                await #expect(throws: BerthDaemonError.alreadyRunning(pid: getpid(), lockPath: first.runtimeDirectory.lockFilePath(for: first.manifestSet))) {
                    try await second.run { Issue.record("the second host must not run its daemon") }
                }
                // The loser must not have disturbed the winner's state or socket.
                guard case .running(let state, let client) = DaemonLocator(manifestSet: first.manifestSet, runtimeDirectory: first.runtimeDirectory).locate() else {
                    Issue.record("the first host's daemon must still be found")
                    return
                }
                #expect(state.owner.pid == getpid())
                _ = try await client.status()
            }
        }
    }

    @Test func theSocketIsPrivateAndStatusThroughItIsTheDaemons() async throws {
        try await withTemporaryDirectory { dir in
            let daemon = try hostTestDaemon(in: dir)
            let host = testHost(daemon, in: dir)
            try await whileHosting(host) {
                let mode = try #require(fileMode(host.controlSocketPath))
                #expect(mode.type == S_IFSOCK)
                #expect(mode.permissions == 0o600)
                #expect(fileMode(host.stateFile.path)?.permissions == 0o600)
                let viaSocket = try await HostClient(path: host.controlSocketPath).status().status
                let direct = await daemon.status()
                #expect(viaSocket == direct)
                let state = try #require(try host.stateFile.read())
                #expect(state.owner == ProcessIdentity.current())
                #expect(state.controlSocket == host.controlSocketPath)
                #expect(state.manifests == [dir + "/forwards.yaml"])
            }
        }
    }

    @Test func stateLeftByADeadProcessIsCleanedAtStartUp() async throws {
        try await withTemporaryDirectory { dir in
            let daemon = try hostTestDaemon(in: dir)
            let host = testHost(daemon, in: dir)
            try host.runtimeDirectory.prepare()
            let child = try ChildProcess.spawn(["/usr/bin/sleep", "30"])
            let dead = try #require(ProcessIdentity.of(pid: child.pid))
            child.killAndReap()
            try host.stateFile.write(DaemonState(
                owner: dead, startedAt: Date(), manifests: host.manifestSet.paths, controlSocket: host.controlSocketPath,
                status: await daemon.status()))
            try leaveStaleSocket(at: host.controlSocketPath)

            // Before a new daemon starts, `berth status` already tells the truth: not running, and cleaned.
            let locator = DaemonLocator(manifestSet: host.manifestSet, runtimeDirectory: host.runtimeDirectory)
            guard case .notRunning(let cleaned) = locator.locate() else {
                Issue.record("a dead daemon's state must not read as running")
                return
            }
            #expect(cleaned?.contains("\(dead.pid)") == true)
            #expect(!FileManager.default.fileExists(atPath: host.stateFile.path))
            #expect(!FileManager.default.fileExists(atPath: host.controlSocketPath))

            // The same leftovers do not stop a new daemon either.
            try host.stateFile.write(DaemonState(
                owner: dead, startedAt: Date(), manifests: host.manifestSet.paths, controlSocket: host.controlSocketPath,
                status: await daemon.status()))
            try leaveStaleSocket(at: host.controlSocketPath)
            try await whileHosting(host) {
                #expect(try host.stateFile.read()?.owner == ProcessIdentity.current())
                _ = try await HostClient(path: host.controlSocketPath).status()
            }
        }
    }

    @Test func everythingIsRemovedWhenTheDaemonEnds() async throws {
        try await withTemporaryDirectory { dir in
            let host = testHost(try hostTestDaemon(in: dir), in: dir)
            try await whileHosting(host) {}
            #expect(!FileManager.default.fileExists(atPath: host.stateFile.path))
            #expect(!FileManager.default.fileExists(atPath: host.controlSocketPath))
            guard case .notRunning(cleaned: nil) = DaemonLocator(manifestSet: host.manifestSet, runtimeDirectory: host.runtimeDirectory).locate() else {
                Issue.record("no daemon must be found after it ended")
                return
            }
            // The lock is free again.
            try DaemonLock.acquire(path: host.runtimeDirectory.lockFilePath(for: host.manifestSet)).release()
        }
    }

    @Test func downStopsTheRealDaemonAndDiffSeesItsManifest() async throws {
        try await withTemporaryDirectory { dir in
            let daemon = try hostTestDaemon(in: dir)
            let host = testHost(daemon, in: dir)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await host.run() }
                let client = HostClient(path: host.controlSocketPath)
                // The socket appears before the daemon loads its manifest: wait until the forward is known.
                var generation: UInt64?
                while true {
                    let snapshot = try await waitForSocketThenStatus(client, after: generation)
                    if snapshot.status.forwards.contains(where: { $0.name == "web" }) { break }
                    generation = snapshot.generation
                }
                let running = try await client.running()
                #expect(running.map(\.name) == ["web"])
                #expect(running.first?.fields["target"] == "service/web")
                #expect(running.first?.fields["ports"] == "0:80")
                try await client.down()
                try await group.waitForAll()
            }
            #expect(!FileManager.default.fileExists(atPath: host.controlSocketPath))
        }
    }

    /// The status, waiting (bounded) for the socket to be bound by a host that is starting in another task.
    private func waitForSocketThenStatus(_ client: HostClient, after generation: UInt64?) async throws -> HostClient.Snapshot {
        let deadline = ContinuousClock.now + .seconds(10)
        while true {
            do {
                return try await client.status(after: generation)
            } catch let error as BerthDaemonError where ContinuousClock.now < deadline {
                // Until the host binds, the socket path is missing (ENOENT) or refuses (no daemon yet).
                _ = error
                try await Task.sleep(for: .milliseconds(10))
            }
        }
    }
}
