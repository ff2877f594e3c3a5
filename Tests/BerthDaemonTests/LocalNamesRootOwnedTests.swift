@testable import BerthDaemon
import BerthTestSupport
import BerthManifest
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A hosts file berth may read but not replace, as `/etc/hosts` is to a daemon run as its user: a block
/// installed by hand (`sudo berth hosts --install`) is noticed on the daemon's clock, and one berth cannot
/// remove at stop stays, with the command that removes it (docs/local-names.md).
@Suite(.serialized) struct LocalNamesRootOwnedTests {
    let base = LocalNamesDaemonTests()

    /// Makes `directory` refuse new entries while `body` runs, root included: the immutable flag for root
    /// (whom modes do not stop), mode 0555 for anyone else. A file in it can still be rewritten in place,
    /// which is how the test plays `sudo berth hosts --install`; berth, which replaces the file, cannot.
    private func withUnwritableDirectory(_ directory: String, _ body: () async throws -> Void) async throws {
        func chattr(_ flag: String) throws {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/chattr")
            process.arguments = [flag, directory]
            try process.run()
            process.waitUntilExit()
        }
        if geteuid() == 0 { try chattr("+i") } else { chmod(directory, 0o555) }
        defer { if geteuid() == 0 { try? chattr("-i") } else { chmod(directory, 0o755) } }
        let probe = directory + "/probe"
        guard !FileManager.default.createFile(atPath: probe, contents: nil) else {
            try? FileManager.default.removeItem(atPath: probe)
            Issue.record("could not make \(directory) unwritable on this file system")
            return
        }
        try await body()
    }

    /// Writes `bytes` into the existing file at `path`, in place (no new directory entry).
    private func overwrite(_ path: String, with bytes: [UInt8]) throws {
        let handle = try #require(FileHandle(forWritingAtPath: path))
        defer { try? handle.close() }
        try handle.truncate(atOffset: 0)
        try handle.write(contentsOf: bytes)
    }

    /// `dir/etc/hosts` holding the usual test hosts file; the manifest and address book stay writable beside it.
    private func hostsDirectory(_ dir: String) throws -> String {
        try FileManager.default.createDirectory(atPath: dir + "/etc", withIntermediateDirectories: true)
        try LocalNamesDaemonTests.original.write(toFile: dir + "/etc/hosts", atomically: false, encoding: .utf8)
        return dir + "/etc"
    }

    @Test func aBlockInstalledByHandIsSeenWhenTheDaemonsClockReachesTheNextLook() async throws {
        try await base.withDirectory { dir in
            let path = dir + "/forwards.yaml"
            try base.manifest("  - {name: web, service: web, ports: [\"80\"]}\n").write(toFile: path, atomically: true, encoding: .utf8)
            let etc = try hostsDirectory(dir)
            // Every sleep of the recheck's length the daemon starts on its clock, as an event.
            let (rechecks, recheckStarted) = AsyncStream<Void>.makeStream()
            let clock = ManualClock { duration in
                if duration == Daemon.namesRecheckInterval { recheckStarted.yield() }
            }
            try await withUnwritableDirectory(etc) {
                let daemon = base.daemon(path, in: dir, hostsFile: etc + "/hosts", clock: clock)
                try await base.running(daemon) {
                    let status = try await base.awaitStatus(daemon, "web's names not installed") {
                        $0.forwards.first?.namesInstalled == false && $0.forwards.first?.hostnames.count == 4
                    }
                    let web = try #require(status.forwards.first)
                    try await withTimeout(10, "the recheck sleeping on the daemon's clock") {
                        var waiting = rechecks.makeAsyncIterator()
                        _ = await waiting.next()
                    }
                    // `sudo berth hosts --install`, played by the test.
                    let block = HostsBlock(id: ManifestSet(paths: [path]).id, entries: [.init(address: web.address ?? "", names: web.hostnames)])
                    try overwrite(etc + "/hosts", with: try block.apply(to: Array(LocalNamesDaemonTests.original.utf8)))
                    #expect(daemon.localNames.installed == false, "not looked at before the daemon's clock says so")
                    clock.advance(by: Daemon.namesRecheckInterval)
                    try await base.awaitStatus(daemon, "web's names installed by hand") { $0.forwards.first?.namesInstalled == true }
                }
            }
        }
    }

    @Test func aBlockTheDaemonMayNotRemoveAtStopStaysAndTheLogSaysHowToRemoveIt() async throws {
        try await base.withDirectory { dir in
            let path = dir + "/forwards.yaml"
            try base.manifest("  - {name: web, service: web, ports: [\"80\"]}\n").write(toFile: path, atomically: true, encoding: .utf8)
            let etc = try hostsDirectory(dir)
            let logs = LogLines()
            let daemon = base.daemon(path, in: dir, hostsFile: etc + "/hosts", logger: logs.logger)
            let id = ManifestSet(paths: [path]).id
            try await withUnwritableDirectory(etc) {
                // Installed by hand while the daemon runs, as `sudo berth hosts --install` would.
                try await base.running(daemon) {
                    let status = try await base.awaitStatus(daemon, "web's names not installed") { $0.forwards.first?.namesInstalled == false }
                    let web = try #require(status.forwards.first)
                    let block = HostsBlock(id: id, entries: [.init(address: web.address ?? "", names: web.hostnames)])
                    try overwrite(etc + "/hosts", with: try block.apply(to: Array(LocalNamesDaemonTests.original.utf8)))
                }
                let stays = logs.messages.filter { $0.contains("the local names stay in") }
                #expect(stays.count == 1, "said once, at stop")
                #expect(stays.first?.contains("sudo berth hosts --uninstall") == true)
                #expect(try HostsBlock.read(id: id, in: try HostsFileWriter.read(etc + "/hosts")) != nil, "the block is left alone")
            }
        }
    }
}
