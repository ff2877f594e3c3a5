@testable import BerthDaemon
import BerthTestSupport
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Real files in a temporary directory, watched through real inotify. Serialized so that the suite does not
/// load the machine under its own debounce and silence windows; the descriptor test needs no exclusivity (it
/// counts only the descriptors that watch its own directory).
@Suite(.serialized, .timeLimit(.minutes(1)))
struct FileWatchTests {
    /// Long enough that a loaded machine (the whole suite runs in parallel) still writes a burst within it.
    static let debounce = Duration.milliseconds(250)
    /// Long enough that a change that should have been reported would have been (several debounce windows).
    static let silence = Duration.milliseconds(1000)

    /// Runs `body` while a background task forwards the watcher's batches into an inbox.
    private func watching(
        _ paths: [String],
        _ body: (Inbox<Set<String>>) async throws -> Void
    ) async throws {
        let watcher = try FileWatcher(paths: paths, debounce: Self.debounce, logger: quietLogger)
        let inbox = Inbox<Set<String>>()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for await batch in watcher { inbox.put(batch) }
            }
            try await body(inbox)
            group.cancelAll()
        }
    }

    private func write(_ text: String, to path: String) throws {
        // In place: same inode, truncated and rewritten, as `echo x > file` does.
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.truncate(atOffset: 0)
        try handle.write(contentsOf: Data(text.utf8))
        try handle.close()
    }

    @Test func aWriteInPlaceIsReported() async throws {
        try await withTemporaryDirectory { dir in
            let file = dir + "/forwards.yaml"
            try "a: 1\n".write(toFile: file, atomically: false, encoding: .utf8)
            try await watching([file]) { inbox in
                try write("a: 2\n", to: file)
                #expect(await inbox.take(within: .seconds(5)) == [file])
            }
        }
    }

    @Test func anAtomicSaveByRenameIsReportedEveryTime() async throws {
        try await withTemporaryDirectory { dir in
            let file = dir + "/forwards.yaml"
            try "a: 1\n".write(toFile: file, atomically: false, encoding: .utf8)
            try await watching([file]) { inbox in
                // Like vim/VS Code: write a sibling, rename it over the original. Twice, because after the
                // first rename the original inode is gone and only the directory watch can see the second.
                for round in 2...3 {
                    let temporary = dir + "/.forwards.yaml.swp"
                    try "a: \(round)\n".write(toFile: temporary, atomically: false, encoding: .utf8)
                    #expect(rename(temporary, file) == 0)
                    #expect(await inbox.take(within: .seconds(5)) == [file])
                }
            }
        }
    }

    @Test func deletingAndRecreatingAreBothReported() async throws {
        try await withTemporaryDirectory { dir in
            let file = dir + "/forwards.yaml"
            try "a: 1\n".write(toFile: file, atomically: false, encoding: .utf8)
            try await watching([file]) { inbox in
                #expect(unlink(file) == 0)
                #expect(await inbox.take(within: .seconds(5)) == [file])
                try "a: 2\n".write(toFile: file, atomically: false, encoding: .utf8)
                #expect(await inbox.take(within: .seconds(5)) == [file])
                try write("a: 3\n", to: file)
                #expect(await inbox.take(within: .seconds(5)) == [file])
            }
        }
    }

    @Test func aMissingFileIsReportedWhenItAppears() async throws {
        try await withTemporaryDirectory { dir in
            let file = dir + "/later.env"
            try await watching([file]) { inbox in
                try "X=1\n".write(toFile: file, atomically: true, encoding: .utf8)
                #expect(await inbox.take(within: .seconds(5)) == [file])
            }
        }
    }

    @Test func anUnrelatedFileInTheSameDirectoryIsIgnored() async throws {
        try await withTemporaryDirectory { dir in
            let file = dir + "/forwards.yaml"
            let other = dir + "/notes.txt"
            try "a: 1\n".write(toFile: file, atomically: false, encoding: .utf8)
            try await watching([file]) { inbox in
                try "x\n".write(toFile: other, atomically: true, encoding: .utf8)
                try "y\n".write(toFile: other, atomically: false, encoding: .utf8)
                #expect(unlink(other) == 0)
                #expect(await inbox.take(within: Self.silence) == nil)
                // The watcher still works: the next real change is reported alone.
                try write("a: 2\n", to: file)
                #expect(await inbox.take(within: .seconds(5)) == [file])
            }
        }
    }

    @Test func quickSuccessiveWritesAreReportedOnce() async throws {
        try await withTemporaryDirectory { dir in
            let file = dir + "/forwards.yaml"
            let env = dir + "/.env"
            try "a: 1\n".write(toFile: file, atomically: false, encoding: .utf8)
            try "A=1\n".write(toFile: env, atomically: false, encoding: .utf8)
            try await watching([file, env]) { inbox in
                for value in 2...6 { try write("a: \(value)\n", to: file) }
                try write("A=2\n", to: env)
                #expect(await inbox.take(within: .seconds(5)) == [file, env])
                #expect(await inbox.take(within: Self.silence) == nil)
            }
        }
    }

    @Test func aMissingDirectoryIsAnErrorNamingIt() throws {
        #expect(throws: BerthDaemonError.watchAddFailed(path: "/nonexistent-berth-dir", errno: ENOENT)) {
            try FileWatcher(paths: ["/nonexistent-berth-dir/forwards.yaml"], logger: quietLogger)
        }
    }

    @Test func cancellingTheConsumerClosesTheInotifyDescriptor() async throws {
        try await withTemporaryDirectory { dir in
            let file = dir + "/forwards.yaml"
            try "a: 1\n".write(toFile: file, atomically: false, encoding: .utf8)
            // Identified by what it watches, not by its number: another test's watcher may close or open an
            // inotify descriptor meanwhile, and a number this one freed may be given to another at once.
            let directory = try #require(Self.inode(of: dir))
            try await watching([file]) { inbox in
                #expect(Self.inotifyDescriptors(watching: directory).count == 1)
                try write("a: 2\n", to: file)
                #expect(await inbox.take(within: .seconds(5)) == [file])
            }
            // The reader thread closes its descriptors as it exits; there is no event to await for that.
            try await eventually("the inotify descriptor watching the directory closed", within: 5) {
                Self.inotifyDescriptors(watching: directory).isEmpty
            }
        }
    }

    /// The inode number of `path`.
    static func inode(of path: String) -> UInt64? {
        var info = stat()
        return stat(path, &info) == 0 ? UInt64(info.st_ino) : nil
    }

    /// The process's open inotify descriptors that watch inode `inode`: the kernel lists each watch in the
    /// descriptor's fdinfo as `inotify wd:N ino:HEX sdev:…`.
    static func inotifyDescriptors(watching inode: UInt64) -> Set<String> {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        let needle = " ino:\(String(inode, radix: 16)) "
        return Set(entries.filter { entry in
            guard (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/" + entry)) == "anon_inode:inotify",
                  let info = try? String(contentsOfFile: "/proc/self/fdinfo/" + entry, encoding: .utf8)
            else { return false }
            return info.contains(needle)
        })
    }
}
