import BerthImport
import BerthManifest
import Testing

/// `berth import kubectl`: command lines and scripts to forwards that validate.
@Suite struct KubectlImportTests {
    @Test func oneCommandLineKeepsNamespaceTargetAndPorts() throws {
        let result = KubectlImport.parse("kubectl port-forward -n shop svc/web 8080:80 9090:metrics", source: "argument 1")
        #expect(result.notes.isEmpty)
        let rendered = try Rendered(result)
        let web = try #require(rendered.forward("web"))
        #expect(web.namespace == "shop")
        #expect(web.context == nil)
        #expect(web.target == .service("web"))
        #expect(web.ports == [PortMapping(local: 8080, remote: .number(80)), PortMapping(local: 9090, remote: .name("metrics"))])
        #expect(rendered.comment(above: "web") == "  # kubectl (argument 1): kubectl port-forward -n shop svc/web 8080:80 9090:metrics")
    }

    @Test func flagsInEveryKubectlSpellingAreRead() throws {
        let result = KubectlImport.parse(
            "kubectl --context=prod -nshop port-forward --address=0.0.0.0 deployment.apps/api :8080 --pod-running-timeout 2m",
            source: "argument 1")
        #expect(result.notes.isEmpty)
        let api = try #require(try Rendered(result).forward("api"))
        #expect(api.context == "prod")
        #expect(api.namespace == "shop")
        #expect(api.address == "0.0.0.0")
        #expect(api.target == .deployment("api"))
        #expect(api.ports == [PortMapping(local: 0, remote: .number(8080))])
    }

    @Test func aScriptYieldsEveryPortForwardWithItsLine() throws {
        let result = KubectlImport.parse(try Fixture.text("tunnels.sh"), source: "tunnels.sh")
        let rendered = try Rendered(result)
        #expect(rendered.manifest.forwards.map(\.name) == ["web", "postgres", "api", "prometheus-0"])
        let postgres = try #require(rendered.forward("postgres"))
        #expect(postgres.context == "staging-eu")
        #expect(postgres.namespace == "data")
        #expect(postgres.target == .statefulSet("postgres"))
        #expect(postgres.ports == [PortMapping(local: 15432, remote: .number(5432))])
        #expect(rendered.comment(above: "postgres")?.hasPrefix("  # kubectl (tunnels.sh:6): kubectl --context staging-eu port-forward --namespace data") == true)
        let api = try #require(rendered.forward("api"))
        #expect(api.ports == [PortMapping(local: 0, remote: .name("http"))])
        #expect(api.address == "127.0.0.1")
        let prometheus = try #require(rendered.forward("prometheus-0"))
        #expect(prometheus.target == .pod("prometheus-0"))
        #expect(prometheus.ports == [PortMapping(local: 9090, remote: .number(9090))])
        // The replica set cannot be expressed; `kubectl get` is not a forward and is passed over in silence.
        #expect(result.notes == ["tunnels.sh:10: target rs/legacy-5d8f: berth forwards to services, pods, deployments and statefulsets, not rs; skipped"])
    }

    @Test func whatBerthCannotExpressIsNoted() {
        let result = KubectlImport.parse(
            "kubectl port-forward --kubeconfig /tmp/k --address localhost,10.0.0.5 --as admin svc/web 8080:80 99999", source: "argument 1")
        #expect(result.forwards.count == 1)
        #expect(result.forwards.first?.address == "localhost")
        #expect(result.notes.count == 4)
        #expect(result.notes.contains { $0.contains("--kubeconfig /tmp/k") && $0.contains("berth up --kubeconfig") })
        #expect(result.notes.contains { $0.contains("localhost is kept") })
        #expect(result.notes.contains { $0.contains("--as") })
        #expect(result.notes.contains { $0.contains("99999") })
    }

    @Test func textWithoutAPortForwardIsReported() {
        let result = KubectlImport.parse("kubectl get pods -A", source: "argument 1")
        #expect(result.forwards.isEmpty)
        #expect(result.notes == ["argument 1: no kubectl port-forward command found"])
    }

    @Test func sameTargetTwiceGetsNumberedNamesAndAClashIsDisabled() throws {
        var result = KubectlImport.parse("kubectl port-forward svc/web 8080:80", source: "argument 1")
        result.append(KubectlImport.parse("kubectl --context prod port-forward svc/web 8080:80", source: "argument 2"))
        let rendered = try Rendered(result)
        #expect(rendered.manifest.forwards.map(\.name) == ["web", "web-2"])
        #expect(rendered.forward("web-2")?.enabled == false)
        #expect(rendered.text.contains("  # disabled: local port 8080 is already taken by 'web' above"))
        #expect(rendered.notes == ["web-2: written with enabled: false, local port 8080 is already taken by 'web' above (kubectl (argument 2): kubectl --context prod port-forward svc/web 8080:80)"])
    }
}
