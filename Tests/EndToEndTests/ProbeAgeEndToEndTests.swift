import BerthTestSupport
import Foundation
import Testing

/// A probe result is shown with its age, and only while it still describes its forward: once the forward
/// moves to another pod, plain `status` no longer prints the old "connected in … ms".
@Suite(.serialized, .timeLimit(.minutes(2)))
struct ProbeAgeEndToEndTests {
    @Test func aProbeShowsItsAgeAndGoesWhenTheForwardMoves() async throws {
        try await ProcessWorld.with(scenario: ProcessEndToEndTests.scenario) { world in
            let manifest = try world.write("forwards.yaml", """
                apiVersion: berth/v1
                kind: Forwards
                forwards:
                  - name: api
                    deployment: api
                    ports: [{local: 0, remote: 8000}]
                """)
            let up = try world.startBerth(["up", "-f", manifest])
            defer { up.stop() }
            let ready = try await world.awaitStatus(manifest, "api Ready") { $0.phase("api") == "Ready" }
            let oldPod = try #require(ready.pod("api"))
            let probed = try await world.berth(["status", "-f", manifest, "--probe"])
            #expect(probed.status == 0, "\(probed.stdout)\(probed.stderr)")

            let plain = try await world.berth(["status", "-f", manifest])
            let line = plain.stdout.split(separator: "\n").first { $0.hasPrefix("api  connected in ") }
            #expect(line?.wholeMatch(of: #/api  connected in [0-9.]+ ms, [0-9]+ s ago/#) != nil, "\(plain.stdout)")
            let (_, document) = try await world.status(manifest)
            let probe = try #require(document?.probe("api"))
            #expect(probe["probedAt"] is String && probe["pod"] as? String == oldPod, "\(probe)")

            let deleted = try await world.run([try ReferenceClients.require("kubectl"), "--kubeconfig", world.kubeconfig, "delete", "pod", oldPod, "--wait=false"])
            #expect(deleted.status == 0, "kubectl: \(deleted.stdout)\(deleted.stderr)")
            let moved = try await world.awaitStatus(manifest, "api Ready on the replacement") { status in
                status.phase("api") == "Ready" && status.pod("api").map { $0 != oldPod } ?? false
            }
            #expect(moved.probe("api") == nil, "a probe of the old pod is not the new pod's: \(String(describing: moved.probe("api")))")
            let after = try await world.berth(["status", "-f", manifest])
            #expect(!after.stdout.contains("PROBE") && !after.stdout.contains("connected in"), "\(after.stdout)")
        }
    }
}
