import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A network namespace of the test's own (`ip netns add`), with loopback up, so that berth and FakeKube can
/// run in it and the test can add and flap interfaces without touching the machine's network.
struct NetworkNamespace {
    static let ip = "/usr/sbin/ip"

    let name: String

    /// Whether this machine can make one at all: root and iproute2. Creation may still fail (no CAP_SYS_ADMIN
    /// in a container); ``create()`` then says why.
    static var supported: Bool { getuid() == 0 && FileManager.default.isExecutableFile(atPath: ip) }

    /// `ip netns exec NAME`: runs a command inside the namespace (`ip` execs it: the PID stays the command's).
    var launcher: [String] { [Self.ip, "netns", "exec", name] }

    /// Runs `body` with a fresh namespace, deleted afterwards whatever happens; when no namespace can be made,
    /// prints why and returns without running `body` (the test is skipped, not failed).
    static func with(_ body: (NetworkNamespace) async throws -> Void) async throws {
        guard let namespace = await create() else { return }
        do {
            try await body(namespace)
        } catch {
            await namespace.delete()
            throw error
        }
        await namespace.delete()
    }

    /// Creates the namespace and brings its loopback up; returns nil, after printing why, when it cannot.
    private static func create() async -> NetworkNamespace? {
        let namespace = NetworkNamespace(name: "berth-test-\(UUID().uuidString.prefix(8).lowercased())")
        do {
            try await run([ip, "netns", "add", namespace.name])
        } catch {
            print("skipped: cannot create a network namespace: \(error)")
            return nil
        }
        do {
            try await namespace.ip("link", "set", "lo", "up")
        } catch {
            print("skipped: cannot bring up loopback in a network namespace: \(error)")
            await namespace.delete()
            return nil
        }
        return namespace
    }

    /// Runs `ip ARGS` inside the namespace.
    func ip(_ arguments: String...) async throws {
        try await Self.run(launcher + [Self.ip] + arguments)
    }

    /// Turns IPv6 off in the namespace: its loopback loses `::1`.
    func disableIPv6() async throws {
        try await Self.run(launcher + ["/bin/sh", "-c", "echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6 && echo 1 > /proc/sys/net/ipv6/conf/lo/disable_ipv6"])
    }

    /// Deletes the namespace (and every interface in it); the processes in it must be gone first.
    private func delete() async {
        do {
            try await Self.run([Self.ip, "netns", "delete", name])
        } catch {
            print("warning: \(error)")
        }
    }

    private static func run(_ arguments: [String]) async throws {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("berth-ip-\(UUID().uuidString.prefix(8)).log").path
        defer { try? FileManager.default.removeItem(atPath: log) }
        let status = await (try Spawned.start(arguments, environment: ["PATH": "/usr/sbin:/usr/bin:/bin"], log: log)).wait()
        guard status == 0 else {
            let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            throw ProcessWorld.Failure(description: "\(arguments.joined(separator: " ")) exited \(status): \(output)")
        }
    }
}
