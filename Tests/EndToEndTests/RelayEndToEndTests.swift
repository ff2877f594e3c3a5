import BerthTestSupport
import Foundation
import NIOCore
import NIOPosix
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// berth's relay pod with real `berth up` processes against `fake-kube serve` (docs/relay.md): created for a
/// `host` forward, recreated when deleted, adopted after `kill -9`, deleted by `berth down`, never another
/// daemon's, and a Failed forward naming the verb when the user may not create pods.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct RelayEndToEndTests {
    /// `orders` answers every byte with itself, as the host the relay dials.
    static let scenario = """
        namespaces: [shop, old]
        deployments:
          - name: orders
            namespace: shop
            replicas: 1
            labels: {app: orders}
            containers:
              - name: db
                ports: [{name: pg, containerPort: 5432, behaviour: echo}]
        services:
          - name: orders
            namespace: shop
            selector: {app: orders}
            ports: [{name: pg, port: 5432, targetPort: pg}]
        """

    static func manifest(_ name: String = "orders-db", namespace: String = "shop") -> String {
        """
        apiVersion: berth/v1
        kind: Forwards
        defaults:
          namespace: \(namespace)
          hold: 20s
        forwards:
          - name: \(name)
            host: orders.shop.svc.cluster.local
            ports: [{local: 0, remote: 5432}]
        """
    }

    @Test func aHostForwardIsByteExactThroughTheRelayComesBackWhenItIsDeletedAndDownLeavesNoRelay() async throws {
        try await ProcessWorld.with(scenario: Self.scenario) { world in
            let manifest = try world.write("forwards.yaml", Self.manifest())
            let up = try world.startBerth(["up", "-f", manifest])
            defer { up.stop() }
            let ready = try await world.awaitStatus(manifest, "orders-db Ready") { $0.phase("orders-db") == "Ready" }
            #expect(ready.forward("orders-db")?["target"] as? String == "host/orders.shop.svc.cluster.local")
            let pod = try #require(ready.pod("orders-db"))
            let relays = try await world.relayPods()
            #expect(relays.map(\.name) == [pod] && pod.hasPrefix("berth-relay-"))
            let port = try #require(ready.localPort("orders-db"))
            try await Self.expectEcho(port: port, bytes: 256 * 1024)

            // Deleted by someone else mid-traffic: the open connection ends (it does not hang), and the same pod
            // (same routes, same name) comes back with a new uid.
            let first = try #require(relays.first)
            try await Self.connect(port: port).executeThenClose { inbound, outbound in
                var incoming = inbound.makeAsyncIterator()
                try await outbound.write(ByteBuffer(bytes: [1, 2, 3]))
                var echoed = 0
                while echoed < 3, let chunk = try await incoming.next() { echoed += chunk.readableBytes }
                #expect(echoed == 3)
                #expect(try await world.kubectl(["delete", "pod", pod, "-n", "shop", "--wait=false"]).status == 0)
                do {
                    while try await incoming.next() != nil {}
                } catch {
                    // Reset rather than closed: ended either way.
                }
            }
            try await world.awaitRelayPods("a new relay pod") { $0.count == 1 && $0[0].uid != first.uid && !$0[0].terminating }
            try await world.awaitStatus(manifest, "orders-db Ready again") { $0.phase("orders-db") == "Ready" }
            try await Self.expectEcho(port: port, bytes: 64 * 1024)

            #expect(try await world.berth(["down", "-f", manifest]).status == 0)
            #expect(try await world.relayPods().isEmpty, "berth down deletes its relay pod")
        }
    }

    @Test func killNineThenUpAdoptsTheRelayPodAndLeavesExactlyOne() async throws {
        try await ProcessWorld.with(scenario: Self.scenario) { world in
            let manifest = try world.write("forwards.yaml", Self.manifest())
            let first = try world.startBerth(["up", "-f", manifest], log: "first.log")
            defer { first.stop() }
            try await world.awaitStatus(manifest, "orders-db Ready") { $0.phase("orders-db") == "Ready" }
            let before = try await world.relayPods()
            first.signal(SIGKILL)
            #expect(await first.wait() == 128 + SIGKILL)

            let second = try world.startBerth(["up", "-f", manifest], log: "second.log")
            defer { second.stop() }
            let ready = try await world.awaitStatus(manifest, "orders-db Ready after the restart") {
                $0.phase("orders-db") == "Ready" && $0.pid == Int(second.pid)
            }
            let after = try await world.relayPods()
            #expect(after.count == 1 && after.map(\.uid) == before.map(\.uid), "the orphan is adopted, not replaced: \(after)")
            let port = try #require(ready.localPort("orders-db"))
            try await Self.expectEcho(port: port, bytes: 1024)
            #expect(try await world.berth(["down", "-f", manifest]).status == 0)
            #expect(try await world.relayPods().isEmpty)
        }
    }

    /// After `kill -9`, a `berth up` whose manifest moved to another namespace deletes its orphan in the old one
    /// at start (nothing there would ever adopt it), and leaves another daemon's relay pod there alone.
    @Test func upDeletesItsOrphanInANamespaceItNoLongerUsesButNotAnotherDaemons() async throws {
        try await ProcessWorld.with(scenario: Self.scenario) { world in
            try FileManager.default.createDirectory(atPath: world.directory + "/a", withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: world.directory + "/b", withIntermediateDirectories: true)
            let a = try world.write("a/forwards.yaml", Self.manifest("orders-a", namespace: "old"))
            let b = try world.write("b/forwards.yaml", Self.manifest("orders-b", namespace: "old"))
            let first = try world.startBerth(["up", "-f", a], log: "a-first.log")
            defer { first.stop() }
            let upB = try world.startBerth(["up", "-f", b], log: "b.log")
            defer { upB.stop() }
            try await world.awaitStatus(a, "orders-a Ready in old") { $0.phase("orders-a") == "Ready" }
            let readyB = try await world.awaitStatus(b, "orders-b Ready in old") { $0.phase("orders-b") == "Ready" }
            let theirs = try #require(readyB.pod("orders-b"))
            #expect(try await world.relayPods(namespace: "old").count == 2)
            first.signal(SIGKILL)
            #expect(await first.wait() == 128 + SIGKILL)

            // The same manifest file (so the same owner), now in shop.
            _ = try world.write("a/forwards.yaml", Self.manifest("orders-a", namespace: "shop"))
            let second = try world.startBerth(["up", "-f", a], log: "a-second.log")
            defer { second.stop() }
            try await world.awaitStatus(a, "orders-a Ready in shop") { $0.phase("orders-a") == "Ready" && $0.pid == Int(second.pid) }
            try await world.awaitRelayPods(namespace: "old", "only b's relay pod left in old") { $0.map(\.name) == [theirs] }
            #expect(try await world.relayPods(namespace: "shop").count == 1)
            #expect(try await world.berth(["down", "-f", a]).status == 0)
            #expect(try await world.berth(["down", "-f", b]).status == 0)
            #expect(try await world.relayPods(namespace: "old").isEmpty)
            #expect(try await world.relayPods(namespace: "shop").isEmpty)
        }
    }

    /// A user whose role is bound in each namespace, not at the cluster scope, may not list pods across
    /// namespaces: after `kill -9`, the next `berth up` cannot look for its orphans, says once in its log that
    /// they stay (docs/relay.md), and runs its forward all the same; the orphan in the old namespace is there.
    @Test func whenPodsMayNotBeListedAcrossNamespacesTheOrphansStayAndTheLogSaysSo() async throws {
        try await ProcessWorld.with(scenario: Self.scenario) { world in
            let manifest = try world.write("forwards.yaml", Self.manifest(namespace: "old"))
            let first = try world.startBerth(["up", "-f", manifest], log: "first.log")
            defer { first.stop() }
            let readyOld = try await world.awaitStatus(manifest, "orders-db Ready in old") { $0.phase("orders-db") == "Ready" }
            let orphan = try #require(readyOld.pod("orders-db"))
            first.signal(SIGKILL)
            #expect(await first.wait() == 128 + SIGKILL)

            _ = try world.write("forwards.yaml", Self.manifest(namespace: "shop"))
            let second = try world.startBerth(["up", "-f", manifest, "--context", "namespaced"], log: "second.log")
            defer { second.stop() }
            let ready = try await world.awaitStatus(manifest, "orders-db Ready in shop as namespaced") {
                $0.phase("orders-db") == "Ready" && $0.pid == Int(second.pid)
            }
            try await Self.expectEcho(port: try #require(ready.localPort("orders-db")), bytes: 1024)
            let log = try await world.awaitFile("second.log", contains: "cannot list pods in every namespace (forbidden)")
            let said = log.split(separator: "\n").filter { $0.contains("cannot list pods in every namespace") }
            #expect(said.count == 1 && said.first?.contains("cluster=namespaced") == true, "\(said)")
            #expect(!log.contains("relay orphans not looked for"), "\(log)")
            #expect(try await world.relayPods(namespace: "old").map(\.name) == [orphan], "the orphan stays")
            #expect(try await world.berth(["down", "-f", manifest]).status == 0)
        }
    }

    @Test func twoDaemonsInOneNamespaceNeverDeleteEachOthersRelay() async throws {
        try await ProcessWorld.with(scenario: Self.scenario) { world in
            try FileManager.default.createDirectory(atPath: world.directory + "/a", withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: world.directory + "/b", withIntermediateDirectories: true)
            let a = try world.write("a/forwards.yaml", Self.manifest("orders-a"))
            let b = try world.write("b/forwards.yaml", Self.manifest("orders-b"))
            let upA = try world.startBerth(["up", "-f", a], log: "a.log")
            defer { upA.stop() }
            let upB = try world.startBerth(["up", "-f", b], log: "b.log")
            defer { upB.stop() }
            try await world.awaitStatus(a, "orders-a Ready") { $0.phase("orders-a") == "Ready" }
            let readyB = try await world.awaitStatus(b, "orders-b Ready") { $0.phase("orders-b") == "Ready" }
            let both = try await world.relayPods()
            #expect(both.count == 2 && Set(both.map(\.owner)).count == 2, "one relay per daemon: \(both)")

            #expect(try await world.berth(["down", "-f", a]).status == 0)
            let left = try await world.relayPods()
            #expect(left.map(\.name) == [readyB.pod("orders-b")], "b's relay stays: \(left)")
            let port = try #require(readyB.localPort("orders-b"))
            try await Self.expectEcho(port: port, bytes: 1024)
            let stillReady = try await world.status(b).1
            #expect(stillReady?.phase("orders-b") == "Ready")
            #expect(try await world.berth(["down", "-f", b]).status == 0)
            #expect(try await world.relayPods().isEmpty)
        }
    }

    @Test func aUserWhoMayNotCreatePodsGetsAFailedForwardNamingTheVerb() async throws {
        try await ProcessWorld.with(scenario: Self.scenario) { world in
            let manifest = try world.write("forwards.yaml", Self.manifest())
            let up = try world.startBerth(["up", "-f", manifest, "--context", "forwarder"])
            defer { up.stop() }
            let failed = try await world.awaitStatus(manifest, "orders-db Failed") { $0.phase("orders-db") == "Failed" }
            #expect(failed.forward("orders-db")?["reason"] as? String == "Forbidden")
            let message = failed.forward("orders-db")?["message"] as? String ?? ""
            #expect(message.hasPrefix("cannot create pods in namespace shop: forbidden"), "\(message)")
            #expect(try await world.relayPods().isEmpty)
        }
    }

    /// Sends `bytes` random bytes through the forward on `port` and expects each back, in order.
    static func expectEcho(port: Int, bytes: Int) async throws {
        let payload = (0..<bytes).map { _ in UInt8.random(in: 0...255) }
        let received = try await connect(port: port).executeThenClose { inbound, outbound in
            try await outbound.write(ByteBuffer(bytes: payload))
            var received: [UInt8] = []
            for try await chunk in inbound {
                received += chunk.readableBytesView
                if received.count >= payload.count { break }
            }
            return received
        }
        #expect(received.count == payload.count && received == payload, "echo through the relay: \(received.count) of \(payload.count) bytes")
    }

    /// A TCP connection to the forward on `port`.
    static func connect(port: Int) async throws -> NIOAsyncChannel<ByteBuffer, ByteBuffer> {
        try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel) }
            }
    }
}

/// A relay pod as `kubectl get pods -l app.kubernetes.io/name=berth-relay` shows it.
struct RelayPod: Sendable, CustomStringConvertible {
    var name: String
    var uid: String
    var owner: String
    var terminating: Bool

    var description: String { "\(name) (uid \(uid), owner \(owner)\(terminating ? ", terminating" : ""))" }
}

extension ProcessWorld {
    /// Runs kubectl with this world's kubeconfig.
    func kubectl(_ arguments: [String]) async throws -> Output {
        try await run([try ReferenceClients.require("kubectl"), "--kubeconfig", kubeconfig] + arguments)
    }

    /// The relay pods in `namespace`, whoever owns them, sorted by name.
    func relayPods(namespace: String = "shop") async throws -> [RelayPod] {
        let output = try await kubectl(["get", "pods", "-n", namespace, "-l", "app.kubernetes.io/name=berth-relay", "-o", "json"])
        guard output.status == 0, let list = try? JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any] else {
            throw Failure(description: "kubectl get pods failed: \(output.stdout)\(output.stderr)")
        }
        let items = list["items"] as? [[String: Any]] ?? []
        return items.map { item in
            let metadata = item["metadata"] as? [String: Any] ?? [:]
            let labels = metadata["labels"] as? [String: String] ?? [:]
            return RelayPod(
                name: metadata["name"] as? String ?? "", uid: metadata["uid"] as? String ?? "",
                owner: labels["berth.dev/owner"] ?? "", terminating: metadata["deletionTimestamp"] != nil)
        }.sorted { $0.name < $1.name }
    }

    /// Polls the relay pods (there is no event across processes) until `condition` holds.
    func awaitRelayPods(
        namespace: String = "shop", within limit: Duration = .seconds(30), _ what: String, _ condition: ([RelayPod]) -> Bool
    ) async throws {
        let deadline = ContinuousClock.now + limit
        var last: [RelayPod] = []
        while ContinuousClock.now < deadline {
            last = try await relayPods(namespace: namespace)
            if condition(last) { return }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw Failure(description: "timed out waiting for \(what); relay pods: \(last)")
    }
}
