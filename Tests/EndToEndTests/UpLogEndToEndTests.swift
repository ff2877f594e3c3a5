import BerthTestSupport
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// What `berth up` writes to its log, and leaves behind, when the cluster cannot be reached: each port once as
/// `local=127.0.0.1:PORT`, the failure once per change in plain words, and no lock file after it ends.
@Suite(.serialized, .timeLimit(.minutes(1)))
struct UpLogEndToEndTests {
    /// A directory with a kubeconfig whose server name does not resolve, a manifest, and a runtime directory.
    private struct Setup {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("berth-uplog-\(UUID().uuidString.prefix(8))").path
        var run: String { directory + "/run" }
        var environment: [String: String] {
            ["HOME": directory, "XDG_RUNTIME_DIR": run, "KUBECONFIG": directory + "/kubeconfig", "PATH": "/usr/bin:/bin"]
        }

        init(manifest: String) throws {
            try FileManager.default.createDirectory(atPath: run, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            try Data("""
                apiVersion: v1
                kind: Config
                clusters:
                - name: c
                  cluster: {server: "https://bogus.invalid:6443"}
                contexts:
                - name: x
                  context: {cluster: c, user: u, namespace: shop}
                current-context: x
                users:
                - name: u
                  user: {token: not-a-secret}
                """.utf8).write(to: URL(fileURLWithPath: directory + "/kubeconfig"))
            try Data(manifest.utf8).write(to: URL(fileURLWithPath: directory + "/forwards.yaml"))
        }

        func berth(_ arguments: [String]) throws -> Spawned {
            try Spawned.start([ProcessWorld.products + "/berth"] + arguments, environment: environment, log: directory + "/berth.log")
        }

        func leftovers() throws -> [String] {
            // An up that never got as far as its lock leaves no directory either.
            guard FileManager.default.fileExists(atPath: run + "/berth") else { return [] }
            return try FileManager.default.contentsOfDirectory(atPath: run + "/berth")
        }
    }

    @Test func anUnreachableClusterIsSaidOncePerChangeAndNothingStaysBehind() async throws {
        let setup = try Setup(manifest: """
            apiVersion: berth/v1
            kind: Forwards
            forwards:
              - name: web
                service: web
                ports: [{local: 0, remote: 80}]
            """)
        defer { try? FileManager.default.removeItem(atPath: setup.directory) }
        let up = try setup.berth(["up", "-f", setup.directory + "/forwards.yaml"])
        defer { up.stop() }
        try await eventually("the first list failures logged", within: 20) { up.log().contains("list/watch failed") }
        // Each informer backs off about 1, 2, 3 s: in this window the old log repeated every one of them.
        try await Task.sleep(for: .seconds(4))
        up.signal(SIGTERM)
        #expect(await up.wait() == 0, "\(up.log())")

        let log = up.log().split(separator: "\n")
        let listening = log.filter { $0.contains(" listening") }
        #expect(listening.count == 1, "each port is said once: \(listening)")
        #expect(listening.first?.contains(#/local=127\.0\.0\.1:[0-9]+ /#) == true, "\(listening)")
        #expect(!up.log().contains("[IPv4]"), "\(up.log())")
        let failures = log.filter { $0.contains("list/watch failed") }
        #expect(failures.count <= 3, "one line per informer while the error stays the same:\n\(failures.joined(separator: "\n"))")
        #expect(failures.allSatisfy { $0.contains("cannot resolve address \"bogus.invalid\"") }, "\(failures)")
        #expect(!up.log().contains("SocketAddressError"), "\(up.log())")
        let leftovers = try setup.leftovers()
        #expect(leftovers.isEmpty, "a stopped berth up leaves nothing behind: \(leftovers)")
    }

    @Test func aFailedUpLeavesNoLockFile() async throws {
        let setup = try Setup(manifest: "apiVersion: berth/v1\nkind: Forwards\nforwards:\n  - name: Web_1\n")
        defer { try? FileManager.default.removeItem(atPath: setup.directory) }
        let up = try setup.berth(["up", "-f", setup.directory + "/forwards.yaml"])
        defer { up.stop() }
        #expect(await up.wait() == 1, "\(up.log())")
        let leftovers = try setup.leftovers()
        #expect(leftovers.isEmpty, "a failed berth up leaves nothing behind: \(leftovers)")
    }

    /// As `kubectl apply -f` with a bad file: the errors and nothing else; no line says a daemon is ready,
    /// listening or started for files it cannot run.
    @Test func invalidFilesAreSaidBeforeAndInsteadOfAnyReadyLine() async throws {
        let setup = try Setup(manifest: "apiVersion: berth/v1\nkind: Forwards\nforwards:\n  - name: Web_1\n    service: web\n    ports: [80]\n")
        defer { try? FileManager.default.removeItem(atPath: setup.directory) }
        let up = try setup.berth(["up", "-f", setup.directory + "/forwards.yaml"])
        defer { up.stop() }
        #expect(await up.wait() == 1, "\(up.log())")
        let lines = up.log().split(separator: "\n")
        #expect(lines == ["\(setup.directory)/forwards.yaml:4:11: error: 'Web_1' is not a valid forward name: it must be a DNS-1123 label: at most 63 lowercase letters, digits or '-', starting and ending with a letter or digit"], "\(up.log())")
    }
}
