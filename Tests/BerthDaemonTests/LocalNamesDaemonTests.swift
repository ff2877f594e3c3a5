@testable import BerthDaemon
import BerthTestSupport
import BerthManifest
import Foundation
import Logging
import Testing

/// The daemon's block of the hosts file and its forwards' own addresses, without a cluster: the forwards fail
/// (there is no kubeconfig) but they are enabled, so their names are kept all the same.
@Suite(.serialized) struct LocalNamesDaemonTests {
    static let original = "127.0.0.1\tlocalhost\r\n# BEGIN docker\r\n10.0.0.2 registry\r\n# END docker\r\n192.168.1.1 router"

    /// A temp directory with a hosts file holding `original`.
    func withDirectory(_ body: (String) async throws -> Void) async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("berth-names-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.original.write(toFile: dir + "/hosts", atomically: false, encoding: .utf8)
        try await body(dir)
    }

    func manifest(_ forwards: String) -> String {
        "apiVersion: berth/v1\nkind: Forwards\ndefaults: {namespace: shop, names: true}\nforwards:\n" + forwards
    }

    func daemon(
        _ manifest: String, in dir: String, hostsFile: String? = nil, logger: Logger = quietLogger,
        clock: any Clock<Duration> = ContinuousClock()
    ) -> Daemon {
        let set = ManifestSet(paths: [manifest])
        return Daemon(configuration: DaemonConfiguration(
            source: .files(manifests: [manifest], envFiles: []), kubeconfig: dir + "/no-kubeconfig", environment: [:],
            logger: logger, clock: clock, reloadDebounce: .milliseconds(50), watchNetwork: false,
            localNames: .init(hostsFile: hostsFile ?? dir + "/hosts", blockID: set.id,
                              addressBook: AddressBook(runtimeDirectory: RuntimeDirectory(path: dir), manifests: set))))
    }

    /// Runs `daemon` while `body` runs, then stops it and waits (boundedly: a daemon that does not stop fails
    /// the test, it does not hang the suite) for it to end.
    func running(_ daemon: Daemon, _ body: () async throws -> Void) async throws {
        let task = Task { try await daemon.run() }
        do {
            try await body()
        } catch {
            daemon.stop()
            _ = try? await awaitEnd(of: task, "the daemon, stopped after a failure")
            throw error
        }
        daemon.stop()
        try await awaitEnd(of: task, "the daemon, after stop()")
    }

    @discardableResult
    func awaitStatus(_ daemon: Daemon, _ what: String, _ condition: @escaping @Sendable (DaemonStatus) -> Bool) async throws -> DaemonStatus {
        try await withTimeout(20, what) {
            for await status in daemon.statusChanges() where condition(status) { return status }
            throw TestTimeout.expired(what)
        }
    }

    func hosts(_ dir: String) throws -> [UInt8] { try HostsFileWriter.read(dir + "/hosts") }

    @Test func theBlockFollowsTheManifestAndLeavesWithTheDaemon() async throws {
        try await withDirectory { dir in
            let path = dir + "/forwards.yaml"
            try manifest("  - {name: web, service: web, ports: [\"80\"]}\n").write(toFile: path, atomically: true, encoding: .utf8)
            let daemon = daemon(path, in: dir)
            try await running(daemon) {
                let status = try await awaitStatus(daemon, "web's names installed") { $0.forwards.first?.namesInstalled == true }
                let web = try #require(status.forwards.first)
                let address = try #require(web.address)
                #expect(LoopbackRange.standard.contains(address))
                #expect(web.hostnames == ["web", "web.shop", "web.shop.svc", "web.shop.svc.cluster.local"])
                let block = try #require(try HostsBlock.read(id: ManifestSet(paths: [path]).id, in: try hosts(dir)))
                #expect(block.entries == [HostsBlock.Entry(address: address, names: web.hostnames)])

                // An edit adds a forward and a name: the block follows, the address of web stays.
                try manifest("  - {name: web, service: web, hostnames: [web.local], ports: [\"80\"]}\n  - {name: db, statefulset: postgres, names: false, hostnames: [db.local], ports: [\"5432\"]}\n")
                    .write(toFile: path, atomically: true, encoding: .utf8)
                let edited = try await awaitStatus(daemon, "db's names installed") { status in
                    status.forwards.count == 2 && status.forwards.allSatisfy { $0.namesInstalled == true }
                }
                #expect(edited.forwards.first?.address == address && edited.forwards.first?.hostnames.first == "web.local")
                let updated = try #require(try HostsBlock.read(id: ManifestSet(paths: [path]).id, in: try hosts(dir)))
                #expect(updated.entries.map(\.names) == [["web.local", "web", "web.shop", "web.shop.svc", "web.shop.svc.cluster.local"], ["db.local"]])
                #expect(updated.entries[1].address != address)
            }
            #expect(try hosts(dir) == Array(Self.original.utf8), "down leaves the hosts file as it found it, byte for byte")
        }
    }

    @Test func twoDaemonsKeepTwoBlocks() async throws {
        try await withDirectory { dir in
            try manifest("  - {name: web, service: web, ports: [\"80\"]}\n").write(toFile: dir + "/a.yaml", atomically: true, encoding: .utf8)
            try manifest("  - {name: api, service: api, ports: [\"80\"]}\n").write(toFile: dir + "/b.yaml", atomically: true, encoding: .utf8)
            let first = daemon(dir + "/a.yaml", in: dir), second = daemon(dir + "/b.yaml", in: dir)
            try await running(first) {
                let web = try await awaitStatus(first, "web installed") { $0.forwards.first?.namesInstalled == true }
                try await running(second) {
                    let api = try await awaitStatus(second, "api installed") { $0.forwards.first?.namesInstalled == true }
                    #expect(web.forwards.first?.address != api.forwards.first?.address, "two daemons never share an address")
                    let bytes = try hosts(dir)
                    #expect(try HostsBlock.read(id: ManifestSet(paths: [dir + "/a.yaml"]).id, in: bytes)?.entries.first?.names.first == "web")
                    #expect(try HostsBlock.read(id: ManifestSet(paths: [dir + "/b.yaml"]).id, in: bytes)?.entries.first?.names.first == "api")
                }
                #expect(try HostsBlock.read(id: ManifestSet(paths: [dir + "/b.yaml"]).id, in: try hosts(dir)) == nil)
                #expect(try HostsBlock.read(id: ManifestSet(paths: [dir + "/a.yaml"]).id, in: try hosts(dir)) != nil)
            }
            #expect(try hosts(dir) == Array(Self.original.utf8))
        }
    }

    @Test func aBlockLeftByAKilledDaemonIsCleanedAtTheNextStart() async throws {
        try await withDirectory { dir in
            let path = dir + "/forwards.yaml"
            let id = ManifestSet(paths: [path]).id
            // What `kill -9` leaves: the block of a daemon that never got to remove it.
            let stale = try HostsBlock(id: id, entries: [.init(address: "127.64.1.1", names: ["ghost"])]).apply(to: Array(Self.original.utf8))
            try HostsFileWriter.write(stale, to: dir + "/hosts")
            try "apiVersion: berth/v1\nkind: Forwards\nforwards:\n  - {name: plain, service: web, ports: [{local: 0, remote: 80}]}\n"
                .write(toFile: path, atomically: true, encoding: .utf8)
            let daemon = daemon(path, in: dir)
            try await running(daemon) {
                try await eventually("the stale block removed", within: 10) { try hosts(dir) == Array(Self.original.utf8) }
            }
        }
    }

    @Test func aForwardKeepsItsAddressAcrossRestartsEvenWhenItsFirstChoiceFreesUp() async throws {
        try await withDirectory { dir in
            let path = dir + "/forwards.yaml"
            try manifest("  - {name: web, service: web, ports: [\"80\"]}\n").write(toFile: path, atomically: true, encoding: .utf8)
            let firstChoice = try #require(LoopbackAllocator(range: .standard).assign(["web"], kept: [:], remembered: [:]) { _ in false }["web"])
            let blocker = try TCPListener(address: firstChoice)
            let daemon = daemon(path, in: dir)
            var given: String?
            try await running(daemon) {
                given = try await awaitStatus(daemon, "web installed") { $0.forwards.first?.namesInstalled == true }.forwards.first?.address
            }
            blocker.close()
            #expect(given != nil && given != firstChoice, "another program listens on the first choice")
            let again = self.daemon(path, in: dir)
            try await running(again) {
                let status = try await awaitStatus(again, "web installed again") { $0.forwards.first?.namesInstalled == true }
                #expect(status.forwards.first?.address == given, "the address is remembered, not chosen afresh")
            }
        }
    }

    @Test func anUnwritableHostsFileLeavesNamesUninstalledAndSaysWhatToAddOnce() async throws {
        try await withDirectory { dir in
            let path = dir + "/forwards.yaml"
            try manifest("  - {name: web, service: web, ports: [\"80\"]}\n  - {name: api, service: api, ports: [\"80\"]}\n")
                .write(toFile: path, atomically: true, encoding: .utf8)
            let logs = LogLines()
            let daemon = daemon(path, in: dir, hostsFile: unwritableHostsFile, logger: logs.logger)
            try await running(daemon) {
                let status = try await awaitStatus(daemon, "names marked not installed") { status in
                    status.forwards.count == 2 && status.forwards.allSatisfy { $0.namesInstalled == false && $0.hostnames.count == 4 }
                }
                // A second reason to look at the file (an edit) must not repeat the notice.
                daemon.syncLocalNames()
                let notices = logs.messages.filter { $0.contains("Add these lines") }
                #expect(notices.count == 1)
                let block = HostsBlock(id: ManifestSet(paths: [path]).id, entries: status.forwards.map { .init(address: $0.address ?? "", names: $0.hostnames) })
                #expect(notices.first?.contains(block.render()) == true, "the notice holds the exact block")
                #expect(notices.first?.contains("sudo berth hosts --install") == true)
                #expect(StatusTable.render(status).contains("sudo berth hosts --install"))
            }
        }
    }
}
