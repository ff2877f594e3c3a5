import BerthImport
import BerthManifest
import Foundation
import Testing

/// `berth import kftray` on an export spanning three clusters.
@Suite struct KftrayImportTests {
    private func imported() throws -> (ImportResult, Rendered) {
        let data = try Data(contentsOf: URL(fileURLWithPath: "\(Fixture.directory)/kftray-configs.json"))
        let result = try KftrayImport.parse(data, source: "kftray-configs.json")
        return (result, try Rendered(result))
    }

    @Test func servicesAndPodSelectorsBecomeForwardsWithTheirClusters() throws {
        let (_, rendered) = try imported()
        #expect(rendered.manifest.forwards.map(\.name) == ["shop-frontend", "auth-api-pod", "staging-postgres", "shop-frontend-2", "grafana"])
        let frontend = try #require(rendered.forward("shop-frontend"))
        #expect(frontend.context == "kind-dev")
        #expect(frontend.namespace == "shop")
        #expect(frontend.target == .service("frontend"))
        #expect(frontend.ports == [PortMapping(local: 8080, remote: .number(80))])
        #expect(frontend.address == "127.0.0.1")
        let auth = try #require(rendered.forward("auth-api-pod"))
        #expect(auth.target == .selector(["app": "auth", "tier": "api"]))
        #expect(auth.address == "127.0.0.2")
        let postgres = try #require(rendered.forward("staging-postgres"))
        #expect(postgres.context == "arn:aws:eks:eu-west-1:123456789012:cluster/staging")
        // No local port: kftray listens on the remote one.
        #expect(rendered.forward("grafana")?.ports == [PortMapping(local: 3000, remote: .number(3000))])
        #expect(rendered.comment(above: "auth-api-pod") == "  # kftray kftray-configs.json entry 2 (auth-api-pod): pod app=auth,tier=api in context kind-dev")
    }

    @Test func theSameLocalPortInTwoClustersLeavesTheSecondDisabled() throws {
        let (_, rendered) = try imported()
        #expect(rendered.forward("shop-frontend")?.enabled == true)
        let production = try #require(rendered.forward("shop-frontend-2"))
        #expect(production.enabled == false)
        #expect(production.context == "gke_acme-prod_europe-west1_prod")
    }

    @Test func everythingBerthCannotExpressIsNoted() throws {
        let (result, rendered) = try imported()
        let notes = rendered.notes
        #expect(notes.count == 6, "\(notes)")
        #expect(result.notes.contains { $0.hasPrefix("kftray-configs.json entry 5 (cluster-dns-udp): skipped, protocol udp") })
        #expect(result.notes.contains { $0.hasPrefix("kftray-configs.json entry 6 (private-redis-proxy): skipped, kftray proxy workloads") && $0.contains("redis-master.internal-db.private") })
        #expect(result.notes.contains { $0.hasPrefix("kftray-configs.json entry 7 (my-laptop-api): skipped, kftray expose workloads") })
        #expect(result.notes.contains { $0.hasPrefix("kftray-configs.json entry 3 (Staging Postgres): domain_enabled") })
        #expect(result.notes.contains { $0.hasPrefix("kftray-configs.json entry 3 (Staging Postgres): kubeconfig /home/dev/.kube/eks-staging.yaml") })
        #expect(notes.last?.hasPrefix("shop-frontend-2: written with enabled: false, local port 8080") == true)
    }

    @Test func aFileThatIsNotAnExportIsRefusedWithItsName() {
        #expect(throws: KftrayImport.FormatError.self) {
            try KftrayImport.parse(Data(#"{"configs": 1}"#.utf8), source: "wrong.json")
        }
    }
}
