import BerthTestSupport
import Foundation
import Synchronization
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `berth` and `fake-kube` as real processes on 127.0.0.1, driven the way a user drives them.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct ProcessEndToEndTests {
    /// Every workload answers HTTP with its pod's name, and every pod is owned by a workload, so a deleted pod
    /// always gets a replacement.
    static let scenario = """
        deployments:
          - name: web
            replicas: 1
            labels: {app: web}
            readinessDelay: 0.3
            replacementDelay: 0.2
            containers:
              - name: web
                ports: [{name: http, containerPort: 8080, behaviour: http}]
          - name: api
            replicas: 1
            labels: {app: api}
            readinessDelay: 0.2
            replacementDelay: 0.2
            containers:
              - name: api
                ports: [{name: http, containerPort: 8000, behaviour: http}]
        statefulsets:
          - name: db
            replicas: 1
            labels: {app: db}
            readinessDelay: 0.2
            replacementDelay: 0.2
            containers:
              - name: db
                ports: [{name: pg, containerPort: 5432, behaviour: http}]
        services:
          - name: web
            selector: {app: web}
            ports: [{name: http, port: 80, targetPort: http}]
        """

    static let manifest = """
        apiVersion: berth/v1
        kind: Forwards
        defaults:
          hold: 20s
        forwards:
          - name: web
            service: web
            ports: [{local: 0, remote: http}]
          - name: db
            statefulset: db
            ports: [{local: 0, remote: 5432}]
          - name: api
            deployment: api
            ports: [{local: 0, remote: 8000}]
        """

    static let names = ["web", "db", "api"]

    @Test func convergeProbeRefuseASecondDaemonDiffAndDown() async throws {
        try await ThreeForwards.with { world, berth in
            let (manifest, up, ready) = (berth.manifest, berth.up, berth.ready)
            #expect(ready.pid == Int(up.pid))
            for name in Self.names {
                let forward = try #require(ready.forward(name))
                #expect(forward.keys.contains("reason"), "every forward carries a reason key (null when Ready)")
                let port = try #require(ready.localPort(name))
                let pod = try #require(ready.pod(name))
                #expect(try await TestHTTP.get(port: port).contains(pod), "forward \(name) reaches \(pod)")
            }
            #expect(try await world.berth(["status", "-f", manifest]).status == 0, "all Ready: exit 0")

            // A second daemon on the same files is refused and names the first.
            let second = try await world.berth(["up", "-f", manifest, "--kubeconfig", world.kubeconfig])
            #expect(second.status == 1)
            #expect(second.stderr.contains("PID \(up.pid)"), "the refusal names the serving PID: \(second.stderr)")

            // --probe reaches every pod through a fresh port-forward stream.
            let probed = try await world.berth(["status", "-f", manifest, "--probe", "-o", "json"])
            let probeDocument = try #require(try JSONSerialization.jsonObject(with: Data(probed.stdout.utf8)) as? [String: Any])
            for name in Self.names {
                let probe = probeDocument.forward(name)?["probe"] as? [String: Any]
                #expect(probe?["ok"] as? Bool == true, "probe of \(name): \(String(describing: probe))")
            }

            // diff: nothing yet; then an edit the daemon applies, seen first as a difference.
            #expect(try await world.berth(["diff", "-f", manifest]).status == 0)
            let edited = Self.manifest.replacingOccurrences(of: "remote: 8000", with: "remote: http")
                + "\n  - name: extra\n    pod: nowhere\n    ports: [{local: 0, remote: 1}]\n"
            try Data(edited.utf8).write(to: URL(fileURLWithPath: world.directory + "/edited.yaml"))
            let diff = try await world.berth(["diff", "-f", manifest])
            #expect(diff.status == 0, "the files did not change yet")
            try FileManager.default.removeItem(atPath: manifest)
            try FileManager.default.moveItem(atPath: world.directory + "/edited.yaml", toPath: manifest)
            // Either the daemon has already applied the edit (no difference) or diff shows exactly it.
            let after = try await world.berth(["diff", "-f", manifest])
            if after.status == 1 {
                #expect(after.stdout.contains("+ extra"))
                #expect(after.stdout.contains("~ api\n    ports: 0:8000 -> 0:http"))
            } else {
                #expect(after.status == 0, "diff: \(after.stdout)\(after.stderr)")
            }
            try await world.awaitStatus(manifest, "the edit applied") { $0.forward("extra") != nil }
            #expect(try await world.berth(["diff", "-f", manifest]).status == 0)
            #expect(try await world.berth(["status", "-f", manifest]).status == 1, "extra is not Ready: exit 1")

            let down = try await world.berth(["down", "-f", manifest])
            #expect(down.status == 0, "down: \(down.stdout)\(down.stderr)")
            #expect(await up.wait() == 0, "berth up exits 0 after down; log:\n\(up.log())")
            let gone = try await world.berth(["status", "-f", manifest])
            #expect(gone.status == 3)
            #expect(gone.stderr.hasPrefix("error: no berth daemon is running"))
        }
    }

    @Test
    func deletedPodsAreReplacedUnderTraffic() async throws {
        try await ThreeForwards.with { world, berth in
            let (manifest, up, ready) = (berth.manifest, berth.up, berth.ready)
            try await deletePodsUnderTraffic(world, manifest: manifest, before: ready, berth: up)
            #expect(try await world.berth(["down", "-f", manifest]).status == 0, "log:\n\(up.log())")
        }
    }

    /// A rolling update's everyday case: `kubectl delete pod --grace-period=N` leaves the pod serving for N seconds.
    /// A connection open to it keeps working meanwhile (status shows it draining) while new connections go to
    /// the replacement; it ends when the pod is gone.
    @Test func aGracefulDeletionLetsOpenConnectionsDrain() async throws {
        try await ThreeForwards.with { world, berth in
            let (manifest, up, ready) = (berth.manifest, berth.up, berth.ready)
            let port = try #require(ready.localPort("api"))
            let oldPod = try #require(ready.pod("api"))
            let connection = try KeepAliveHTTP(port: port, timeoutSeconds: 20)
            #expect(try await connection.get().contains(oldPod))

            let deleted = try await world.run([try ReferenceClients.require("kubectl"), "--kubeconfig", world.kubeconfig, "delete", "pod", oldPod, "--grace-period=4", "--wait=false"])
            #expect(deleted.status == 0, "kubectl: \(deleted.stdout)\(deleted.stderr)")
            let moved = try await world.awaitStatus(manifest, "api Ready on the replacement") { status in
                status.phase("api") == "Ready" && status.pod("api").map { $0 != oldPod } ?? false
            }
            let counters = moved.forward("api")?["connections"] as? [String: Any]
            #expect(counters?["draining"] as? Int == 1, "status shows the connection draining: \(String(describing: counters))")
            let newPod = try #require(moved.pod("api"))
            #expect(try await TestHTTP.get(port: port).contains(newPod), "new connections go to the replacement")
            // The old pod is still in its grace period: the open connection still reaches it.
            #expect(try await connection.get().contains(oldPod), "log:\n\(up.log())")
            // Once the pod is gone, so is the connection.
            #expect(await connection.awaitClose(), "the connection ends with its pod")
            #expect(try await world.berth(["down", "-f", manifest]).status == 0)
        }
    }

    /// `kubectl delete pods --all --force` while a client starts a request every 20 ms through `web`.
    private func deletePodsUnderTraffic(_ world: ProcessWorld, manifest: String, before: [String: Any], berth up: Spawned) async throws {
        let webPort = try #require(before.localPort("web"))
        let oldPods = Set(Self.names.compactMap { before.pod($0) })
        let outcomes = Shared<[(started: ContinuousClock.Instant, ok: Bool, detail: String)]>([])
        let stop = Shared(false)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                await withTaskGroup(of: Void.self) { requests in
                    // Cancellation ends the loop too: a cancelled sleep returns at once and must not spin.
                    while !stop.withLock({ $0 }) && !Task.isCancelled {
                        let started = ContinuousClock.now
                        requests.addTask {
                            do {
                                let response = try await TestHTTP.get(port: webPort, timeoutSeconds: 25)
                                outcomes.withLock { $0.append((started, true, response)) }
                            } catch {
                                outcomes.withLock { $0.append((started, false, "\(error)")) }
                            }
                        }
                        try? await Task.sleep(until: started + .milliseconds(20), clock: .continuous)
                    }
                }
            }
            let replaced: [String: Any]
            let deletedAt: ContinuousClock.Instant
            do {
                let deleted = try await world.run([try ReferenceClients.require("kubectl"), "--kubeconfig", world.kubeconfig, "delete", "pods", "--all", "--force", "--grace-period=0"])
                deletedAt = ContinuousClock.now
                #expect(deleted.status == 0, "kubectl: \(deleted.stdout)\(deleted.stderr)")
                // Deployment pods come back under new names; a StatefulSet's pod keeps its name (db-0).
                let renamed = Self.names.filter { $0 != "db" }
                replaced = try await world.awaitStatus(manifest, "Ready on replacement pods") { status in
                    status.allPhases(Self.names, are: "Ready") && renamed.allSatisfy { name in status.pod(name).map { !oldPods.contains($0) } ?? false }
                }
            } catch {
                stop.withLock { $0 = true }
                throw error
            }
            let readyAt = ContinuousClock.now
            // A second of traffic after the replacements are Ready.
            try await Task.sleep(for: .seconds(1))
            stop.withLock { $0 = true }
            try await group.waitForAll()
            let newWeb = try #require(replaced.pod("web"))
            let all = outcomes.withLock { $0 }
            // Once the old pods are gone from the API, no request can be inside one: every request made from then
            // on waits for a replacement (within the hold) and is served by it, however its stream failed first.
            let afterDeletion = all.filter { $0.started >= deletedAt }
            #expect(afterDeletion.count >= 10)
            for outcome in afterDeletion where !outcome.ok {
                Issue.record("a request made after the deletion failed: \(outcome.detail)\nlog:\n\(up.log())")
            }
            let afterReady = all.filter { $0.started >= readyAt }
            #expect(afterReady.count >= 10, "the client kept going")
            for outcome in afterReady {
                #expect(outcome.ok && outcome.detail.contains(newWeb), "a request after the replacement was Ready: \(outcome.detail)")
            }
        }
    }

    @Test func aKilledDaemonLeavesNoRunningStateAndANewOneRecovers() async throws {
        try await ProcessWorld.with(scenario: Self.scenario) { world in
            let manifest = try world.write("forwards.yaml", Self.manifest)
            let first = try world.startBerth(["up", "-f", manifest, "--kubeconfig", world.kubeconfig], log: "up-1.log")
            defer { first.stop() }
            try await world.awaitStatus(manifest, "three Ready forwards") { $0.allPhases(Self.names, are: "Ready") }
            first.signal(SIGKILL)
            #expect(await first.wait() == 128 + SIGKILL)

            let dead = try await world.berth(["status", "-f", manifest, "-o", "json"])
            #expect(dead.status == 3, "no daemon: exit 3")
            let document = try #require(try JSONSerialization.jsonObject(with: Data(dead.stdout.utf8)) as? [String: Any])
            #expect(document["running"] as? Bool == false)
            #expect((document["staleStateRemoved"] as? String)?.contains("\(first.pid)") == true, "\(dead.stdout)")
            let again = try await world.berth(["status", "-f", manifest])
            #expect(again.status == 3)
            #expect(again.stderr.hasPrefix("error: no berth daemon is running"))
            #expect(!again.stdout.contains("Ready"))

            let second = try world.startBerth(["up", "-f", manifest, "--kubeconfig", world.kubeconfig], log: "up-2.log")
            defer { second.stop() }
            let ready = try await world.awaitStatus(manifest, "Ready again under a new daemon") { status in
                status.pid == Int(second.pid) && status.allPhases(Self.names, are: "Ready")
            }
            for name in Self.names {
                let port = try #require(ready.localPort(name))
                #expect(try await TestHTTP.get(port: port).contains(try #require(ready.pod(name))))
            }
            second.signal(SIGTERM)
            #expect(await second.wait() == 0, "SIGTERM: exit 0; log:\n\(second.log())")
            let files = try FileManager.default.contentsOfDirectory(atPath: world.directory + "/run/berth")
            #expect(files.allSatisfy { $0.hasSuffix(".lock") }, "only the lock file stays: \(files)")
        }
    }
}
