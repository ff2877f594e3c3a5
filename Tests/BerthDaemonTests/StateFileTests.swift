import BerthDaemon
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

private struct Snapshot: Codable, Sendable, Equatable {
    var forwards: [String: String]
}

@Suite struct StateFileTests {
    private func state(owner: ProcessIdentity, forwards: [String: String] = ["db": "Ready"]) -> DaemonState<Snapshot> {
        DaemonState(
            owner: owner,
            startedAt: Date(timeIntervalSince1970: 1_790_000_000),
            manifests: ["/work/app/forwards.yaml"],
            controlSocket: "/run/user/0/berth/x.sock",
            status: Snapshot(forwards: forwards)
        )
    }

    @Test func writesPrivatelyAndReadsBack() async throws {
        try await withTemporaryDirectory { dir in
            let file = StateFile<Snapshot>(path: dir + "/s.state.json")
            let me = try #require(ProcessIdentity.current())
            try file.write(state(owner: me))
            #expect(fileMode(file.path)?.permissions == 0o600)
            let back = try #require(try file.read())
            #expect(back.owner == me)
            #expect(back.status == Snapshot(forwards: ["db": "Ready"]))
            #expect(back.startedAt == Date(timeIntervalSince1970: 1_790_000_000))
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["s.state.json"], "no temporary file left behind")
        }
    }

    @Test func aRewriteReplacesTheFileRatherThanChangingItInPlace() async throws {
        try await withTemporaryDirectory { dir in
            let file = StateFile<Snapshot>(path: dir + "/s.state.json")
            let me = try #require(ProcessIdentity.current())
            try file.write(state(owner: me, forwards: ["db": "Pending"]))
            // A reader that opened the old version keeps seeing all of it: the new one arrives by rename.
            let reader = try #require(FileHandle(forReadingAtPath: file.path))
            defer { try? reader.close() }
            try file.write(state(owner: me, forwards: ["db": "Ready", "cache": "Ready"]))
            let old = try JSONDecoder.iso8601.decode(DaemonState<Snapshot>.self, from: reader.readToEnd() ?? Data())
            #expect(old.status.forwards == ["db": "Pending"])
            #expect(try file.read()?.status.forwards == ["db": "Ready", "cache": "Ready"])
        }
    }

    @Test func theStateOfALiveDaemonIsKept() async throws {
        try await withTemporaryDirectory { dir in
            let file = StateFile<Snapshot>(path: dir + "/s.state.json")
            try file.write(state(owner: try #require(ProcessIdentity.current())))
            guard case .live(let live) = file.readValidated() else {
                Issue.record("expected a live state")
                return
            }
            #expect(live.owner.pid == getpid())
        }
    }

    @Test func theStateOfADeadProcessIsStaleAndRemoved() async throws {
        try await withTemporaryDirectory { dir in
            let file = StateFile<Snapshot>(path: dir + "/s.state.json")
            let child = try ChildProcess.spawn(["/usr/bin/sleep", "30"])
            let owner = try #require(ProcessIdentity.of(pid: child.pid))
            try file.write(state(owner: owner))
            guard case .live = file.readValidated() else {
                Issue.record("the child is alive: its state must be live")
                child.killAndReap()
                return
            }
            child.killAndReap()
            // `kill -9` in the middle of a rewrite leaves the temporary file behind.
            let interrupted = file.path + ".tmp-\(owner.pid)-12345"
            #expect(FileManager.default.createFile(atPath: interrupted, contents: Data("{".utf8)))
            guard case .removedStale(let reason) = file.readValidated() else {
                Issue.record("a dead owner's state must be stale")
                return
            }
            #expect(reason.contains("\(owner.pid)"))
            #expect(!FileManager.default.fileExists(atPath: file.path))
            #expect(!FileManager.default.fileExists(atPath: interrupted), "the dead owner's unfinished rewrite goes too")
            guard case .absent = file.readValidated() else {
                Issue.record("the stale file must be gone")
                return
            }
        }
    }

    @Test func aReusedPIDIsStale() async throws {
        try await withTemporaryDirectory { dir in
            let file = StateFile<Snapshot>(path: dir + "/s.state.json")
            var impostor = try #require(ProcessIdentity.current())
            // Same PID, different start time: a new process that happened to get the dead daemon's PID.
            impostor.startTicks += 1
            try file.write(state(owner: impostor))
            guard case .removedStale(let reason) = file.readValidated() else {
                Issue.record("a reused PID must not make the state live")
                return
            }
            #expect(reason.contains("different process"))
        }
    }

    @Test func aCorruptStateFileIsRemoved() async throws {
        try await withTemporaryDirectory { dir in
            let path = dir + "/s.state.json"
            try "{ not json".write(toFile: path, atomically: true, encoding: .utf8)
            let file = StateFile<Snapshot>(path: path)
            #expect(throws: BerthDaemonError.self) { try file.read() }
            guard case .removedStale = file.readValidated() else {
                Issue.record("an unreadable state file must be cleaned")
                return
            }
            #expect(!FileManager.default.fileExists(atPath: path))
        }
    }

    @Test func processIdentityTellsAliveFromDead() throws {
        let me = try #require(ProcessIdentity.current())
        #expect(me.pid == getpid())
        #expect(me.isAlive)
        #expect(ProcessIdentity.of(pid: 0) == nil)
        #expect(!ProcessIdentity(pid: me.pid, startTicks: me.startTicks + 7).isAlive)
    }
}

extension JSONDecoder {
    static var iso8601: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}
