import BerthDaemon
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The hosts file is replaced atomically, keeping its mode and owner and leaving nothing beside it.
@Suite struct HostsFileWriterTests {
    private func withDirectory(_ body: (String) throws -> Void) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("berth-hosts-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try body(dir)
    }

    @Test func aRewriteKeepsModeAndOwnerAndLeavesNoTemporaryFile() throws {
        try withDirectory { dir in
            let path = dir + "/hosts"
            try "127.0.0.1 localhost\n".write(toFile: path, atomically: false, encoding: .utf8)
            #expect(chmod(path, 0o640) == 0)
            // As root, hand the file to someone else: the rewrite must give it back to them.
            let owner: (uid_t, gid_t) = geteuid() == 0 ? (4321, 8765) : (geteuid(), getegid())
            #expect(chown(path, owner.0, owner.1) == 0)
            var before = stat()
            #expect(stat(path, &before) == 0)

            try HostsFileWriter.write(Array("10.0.0.1 nas\n".utf8), to: path)

            #expect(try HostsFileWriter.read(path) == Array("10.0.0.1 nas\n".utf8))
            var after = stat()
            #expect(stat(path, &after) == 0)
            #expect(after.st_mode & 0o7777 == 0o640)
            #expect(after.st_uid == owner.0 && after.st_gid == owner.1)
            #expect(after.st_ino != before.st_ino, "replaced by rename, not rewritten in place")
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["hosts"])
        }
    }

    @Test func aSymlinkedHostsFileIsReplacedWhereItPoints() throws {
        try withDirectory { dir in
            try "old\n".write(toFile: dir + "/real-hosts", atomically: false, encoding: .utf8)
            #expect(symlink(dir + "/real-hosts", dir + "/hosts") == 0)
            try HostsFileWriter.write(Array("new\n".utf8), to: dir + "/hosts")
            #expect(try FileManager.default.destinationOfSymbolicLink(atPath: dir + "/hosts") == dir + "/real-hosts")
            #expect(try String(contentsOfFile: dir + "/real-hosts", encoding: .utf8) == "new\n")
        }
    }

    @Test func aMissingFileReadsEmptyAndIsCreatedReadableByAll() throws {
        try withDirectory { dir in
            #expect(try HostsFileWriter.read(dir + "/hosts") == [])
            try HostsFileWriter.write(Array("x\n".utf8), to: dir + "/hosts")
            var info = stat()
            #expect(stat(dir + "/hosts", &info) == 0 && info.st_mode & 0o777 == 0o644)
        }
    }

    @Test func aFileBerthMayNotWriteSaysSo() {
        do {
            try HostsFileWriter.write(Array("x\n".utf8), to: unwritableHostsFile)
            Issue.record("wrote \(unwritableHostsFile)")
        } catch {
            guard case .hostsFileNotWritable(let path, _) = error else {
                Issue.record("expected hostsFileNotWritable, got \(error)")
                return
            }
            #expect(path == unwritableHostsFile)
        }
    }
}

/// A hosts file no one may write, root included: nothing can be created in /sys.
let unwritableHostsFile = "/sys/berth-test-hosts"
