import Foundation
import Testing

/// The periodic probe set in the manifest (`probe: {interval: …}`): a passing probe leaves its forward Ready;
/// a failing one (the `readonly` user may not create `pods/portforward`) rebinds it, probe after probe.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct ProbeEndToEndTests {
    static let manifest = """
        apiVersion: berth/v1
        kind: Forwards
        forwards:
          - name: good
            deployment: web
            probe: {interval: 1s}
            ports: [{local: 0, remote: 8080}]
          - name: bad
            context: readonly
            deployment: api
            warm: 0
            probe: {interval: 1s}
            ports: [{local: 0, remote: 8000}]
        """

    @Test func aFailingProbeRebindsItsForwardAndAPassingOneLeavesItReady() async throws {
        try await ProcessWorld.with(scenario: ProcessEndToEndTests.scenario) { world in
            let manifest = try world.write("forwards.yaml", Self.manifest)
            let up = try world.startBerth(["up", "-f", manifest, "--kubeconfig", world.kubeconfig])
            defer { up.stop() }
            let first = try await world.awaitStatus(manifest, "both probed") { status in
                status.probe("good")?["ok"] as? Bool == true && status.probe("bad")?["ok"] as? Bool == false
            }
            let firstAt = String(describing: try #require(first.probe("good")?["probedAt"]))
            #expect((first.probe("bad")?["error"] as? String)?.contains("forbidden") == true, "\(String(describing: first.probe("bad")))")

            // Probes repeat at their interval; the passing one never disturbs its forward.
            let later = try await world.awaitStatus(manifest, "a second probe of good") { status in
                status.probe("good")?["probedAt"].map { String(describing: $0) != firstAt } ?? false
            }
            #expect(later.phase("good") == "Ready" && later.probe("good")?["ok"] as? Bool == true)
            #expect(later.pod("good") == first.pod("good"), "a passing probe keeps the pod")

            let log = up.log().split(separator: "\n")
            let rebinds = log.indices.filter { log[$0].contains("probe failed; rebinding") }
            #expect(rebinds.count >= 2, "each failed probe rebinds bad:\n\(up.log())")
            #expect(rebinds.allSatisfy { log[$0].contains("bad") && !log[$0].contains("good") }, "only bad is rebound:\n\(up.log())")
            // The rebind clears bad's endpoint, then reconcile points it at a ready pod again.
            let firstRebind = try #require(rebinds.first)
            #expect(log[firstRebind...].contains { $0.contains("endpoint set") && $0.contains("bad") }, "bad is pointed at a pod again:\n\(up.log())")
            try await world.awaitStatus(manifest, "bad Ready after its rebinds") { $0.phase("bad") == "Ready" }
            #expect(try await TestHTTP.get(port: try #require(later.localPort("good"))).contains(try #require(later.pod("good"))))
            #expect(try await world.berth(["down", "-f", manifest]).status == 0, "log:\n\(up.log())")
        }
    }
}

extension Dictionary where Key == String, Value == Any {
    /// The last probe of forward `name`.
    func probe(_ name: String) -> [String: Any]? { forward(name)?["probe"] as? [String: Any] }
}
