#if os(Linux)
import BerthDaemon
import Foundation
import Synchronization
import Testing

/// A network namespace made for one test (`ip netns add`), deleted afterwards. Interfaces are created
/// only inside it, so the host's own network is never touched.
private struct TestNamespace {
    let name: String
    var path: String { "/run/netns/\(name)" }

    /// Whether this machine lets the tests create a network namespace (root, `ip netns`).
    static let available: Bool = {
        guard let probe = create() else { return false }
        probe.delete()
        return true
    }()

    static func create() -> TestNamespace? {
        removeLeftovers()
        let namespace = TestNamespace(name: "berth-test-\(getpid())-\(UInt16.random(in: .min ... .max))")
        guard (try? runProgram(["/usr/sbin/ip", "netns", "add", namespace.name])) == 0 else { return nil }
        guard namespace.ip("link", "set", "lo", "up") else {
            namespace.delete()
            return nil
        }
        return namespace
    }

    /// Runs `ip -n NAME ...`; true on success.
    @discardableResult
    func ip(_ arguments: String...) -> Bool {
        (try? runProgram(["/usr/sbin/ip", "-n", name] + arguments)) == 0
    }

    /// Deletes namespaces left by test processes that died before their cleanup ran.
    static func removeLeftovers() {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/run/netns")) ?? []
        for name in names where name.hasPrefix("berth-test-") {
            let parts = name.split(separator: "-")
            guard parts.count == 4, let pid = Int32(parts[2]), pid != getpid(), kill(pid, 0) != 0 else { continue }
            TestNamespace(name: name).delete()
        }
    }

    func delete() {
        _ = try? runProgram(["/usr/sbin/ip", "netns", "delete", name])
    }
}

@Suite(.serialized, .timeLimit(.minutes(1)))
struct NetworkNamespaceTests {
    @Test(.enabled(if: TestNamespace.available, "needs root and `ip netns` to create a network namespace"))
    func netlinkSeesVethAndAddressChangesAndABurstResyncsOnce() async throws {
        let namespace = try #require(TestNamespace.create())
        defer { namespace.delete() }

        let monitor = try NetlinkMonitor(namespacePath: namespace.path, logger: quietLogger)
        let seen = Locked<Set<NetworkChange.Kind>>([])
        let observed = monitor.map { change in
            seen.withLock { _ = $0.insert(change.kind) }
            return change
        }
        let resyncs = Inbox<Void>()
        let window = Duration.milliseconds(300)
        let settler = NetworkSettler(configuration: .init(settleWindow: window), clock: ContinuousClock(), logger: quietLogger) {
            true
        }

        await withDiscardingTaskGroup { group in
            group.addTask { await settler.run(changes: observed) { resyncs.put(()) } }
            // One burst: a veth pair appears, comes up, gets IPv4 and IPv6 addresses, loses one, and goes away.
            #expect(namespace.ip("link", "add", "bt0", "type", "veth", "peer", "name", "bt1"))
            #expect(namespace.ip("addr", "add", "10.213.7.1/24", "dev", "bt0"))
            #expect(namespace.ip("addr", "add", "fd00:b37::1/64", "dev", "bt0", "nodad"))
            #expect(namespace.ip("link", "set", "bt0", "up"))
            #expect(namespace.ip("link", "set", "bt1", "up"))
            #expect(namespace.ip("addr", "del", "10.213.7.1/24", "dev", "bt0"))
            #expect(namespace.ip("link", "del", "bt0"))

            #expect(await resyncs.take(within: .seconds(10)) != nil, "the burst must lead to a resync")
            // Exactly one: nothing more within several settle windows.
            #expect(await resyncs.take(within: window * 4) == nil, "one burst, one resync")

            // A later, separate change is a new burst with its own resync.
            #expect(namespace.ip("link", "add", "bt2", "type", "veth", "peer", "name", "bt3"))
            #expect(await resyncs.take(within: .seconds(10)) != nil)
            group.cancelAll()
        }
        let kinds = seen.withLock { $0 }
        for kind in [NetworkChange.Kind.link, .linkRemoved, .addressAdded, .addressRemoved, .routeAdded] {
            #expect(kinds.contains(kind), "netlink should have reported \(kind); saw \(kinds)")
        }
    }

    @Test func aMissingNamespaceIsAnErrorNamingIt() {
        #expect(throws: BerthDaemonError.self) {
            try NetlinkMonitor(namespacePath: "/run/netns/berth-no-such-namespace", logger: quietLogger)
        }
    }
}
#endif
