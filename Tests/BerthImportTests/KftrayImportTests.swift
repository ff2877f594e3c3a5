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
        #expect(rendered.manifest.forwards.map(\.name) == [
            "shop-frontend", "auth-api-pod", "staging-postgres", "shop-frontend-2", "cluster-dns-udp", "private-redis-proxy", "grafana",
        ])
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

    /// kftray's UDP configs and proxy workloads go through berth's relay pod (docs/relay.md): `/udp` ports and
    /// `host` targets, in the namespace kftray-server would run in.
    @Test func udpConfigsBecomeUDPPortsAndProxiesHostTargets() throws {
        let (_, rendered) = try imported()
        let dns = try #require(rendered.forward("cluster-dns-udp"))
        #expect(dns.target == .service("kube-dns"))
        #expect(dns.namespace == "kube-system")
        #expect(dns.ports == [PortMapping(local: 5353, remote: .number(53), protocol: .udp)])
        #expect(dns.needsRelay)
        let redis = try #require(rendered.forward("private-redis-proxy"))
        #expect(redis.target == .host("redis-master.internal-db.private"))
        #expect(redis.namespace == "kftray-relay")
        #expect(redis.context == "gke_acme-prod_europe-west1_prod")
        #expect(redis.ports == [PortMapping(local: 6379, remote: .number(6379))])
        #expect(rendered.comment(above: "private-redis-proxy")
            == "  # kftray kftray-configs.json entry 6 (private-redis-proxy): proxy redis-master.internal-db.private in context gke_acme-prod_europe-west1_prod")
        // A UDP proxy is a host's UDP port; a proxy without an address and another protocol are noted.
        let more = #"""
            [{"alias": "statsd", "workload_type": "proxy", "protocol": "udp", "remote_address": "10.20.0.7", "remote_port": 8125, "namespace": "ops"},
             {"alias": "nowhere", "workload_type": "proxy", "remote_port": 80},
             {"alias": "sctp", "workload_type": "service", "service": "sig", "protocol": "sctp", "remote_port": 3868}]
            """#
        let result = try KftrayImport.parse(Data(more.utf8), source: "more.json")
        #expect(result.forwards.map(\.target) == [.host("10.20.0.7")])
        #expect(result.forwards.first?.ports == [PortMapping(local: 8125, remote: .number(8125), protocol: .udp)])
        #expect(result.notes == [
            "more.json entry 2 (nowhere): skipped, a proxy config without a remote_address",
            "more.json entry 3 (sctp): skipped, protocol sctp: berth carries TCP and UDP",
        ])
    }

    /// DNS on 5353 over TCP and over UDP: two listeners that do not clash, so both stay enabled.
    @Test func tcpAndUDPOnOneLocalPortAreBothEnabled() throws {
        let both = #"""
            [{"alias": "dns-tcp", "service": "kube-dns", "namespace": "kube-system", "local_port": 5353, "remote_port": 53},
             {"alias": "dns-udp", "service": "kube-dns", "namespace": "kube-system", "local_port": 5353, "remote_port": 53, "protocol": "udp"}]
            """#
        let rendered = try Rendered(try KftrayImport.parse(Data(both.utf8), source: "dns.json"))
        #expect(rendered.forward("dns-tcp")?.enabled == true)
        #expect(rendered.forward("dns-udp")?.enabled == true)
        #expect(rendered.notes.isEmpty, "\(rendered.notes)")
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
        #expect(notes.count == 4, "\(notes)")
        #expect(result.notes.contains { $0.hasPrefix("kftray-configs.json entry 7 (my-laptop-api): skipped, kftray expose workloads") })
        #expect(result.notes.contains { $0.hasPrefix("kftray-configs.json entry 3 (Staging Postgres): domain_enabled") })
        #expect(result.notes.contains { $0.hasPrefix("kftray-configs.json entry 3 (Staging Postgres): kubeconfig /home/dev/.kube/eks-staging.yaml") })
        #expect(notes.last?.hasPrefix("shop-frontend-2: written with enabled: false, local port 8080") == true)
    }

    /// Ports are held to the manifest's own rules: a config whose port the manifest would refuse is skipped with
    /// the manifest's words, never printed into a manifest that does not validate.
    @Test func aPortOutOfRangeIsSkippedWithTheManifestsWords() throws {
        let configs = #"""
            [{"alias": "far", "service": "web", "local_port": 70000, "remote_port": 80},
             {"alias": "zero", "service": "web", "local_port": 8080, "remote_port": 0},
             {"alias": "ok", "service": "web", "local_port": 8082, "remote_port": 80, "protocol": "TCP"}]
            """#
        let result = try KftrayImport.parse(Data(configs.utf8), source: "ports.json")
        #expect(try Rendered(result).manifest.forwards.map(\.name) == ["ok"])
        #expect(result.notes == [
            "ports.json entry 1 (far): skipped, local port 70000 is out of range 0-65535 (0 picks a free port)",
            "ports.json entry 2 (zero): skipped, remote port 0 is out of range 1-65535",
        ])
    }

    @Test func aFileThatIsNotAnExportIsRefusedWithItsName() {
        #expect(throws: KftrayImport.FormatError.self) {
            try KftrayImport.parse(Data(#"{"configs": 1}"#.utf8), source: "wrong.json")
        }
    }
}
