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

    /// kubectl's port words have no `/tcp` or `/udp` and its port names follow the same rule as berth's: a word
    /// kubectl itself would refuse is left out and said, so the printed manifest still validates.
    @Test func aPortWordKubectlWouldRefuseIsLeftOutAndSaid() throws {
        let result = KubectlImport.parse(
            "kubectl port-forward svc/web 8080:80/tcp 5353:53/udp 8081:Not_A_Name 9090:9090 $PORT", source: "argument 1")
        let web = try #require(try Rendered(result).forward("web"))
        #expect(web.ports == [PortMapping(local: 9090, remote: .number(9090))])
        // Four refused words, and the `$` that is copied as written is said once.
        #expect(result.notes.count == 5, "\(result.notes)")
        for word in ["8080:80/tcp", "5353:53/udp"] {
            #expect(result.notes.contains("argument 1: port \"\(word)\": kubectl port-forward takes no /tcp or /udp suffix (it carries tcp only); that port is left out"), "\(result.notes)")
        }
        #expect(result.notes.contains { $0.hasPrefix("argument 1: port \"8081:Not_A_Name\": 'Not_A_Name' is not a valid remote port") }, "\(result.notes)")
        #expect(result.notes.contains { $0.hasPrefix("argument 1: port \"$PORT\": ") && $0.hasSuffix("; that port is left out") }, "\(result.notes)")
    }

    /// A lone port name: kubectl listens on the number it stands for, which berth learns only from the cluster, so
    /// the import asks for any free port; `:NAME` says so outright.
    @Test func aLonePortNameOrAMissingLocalPortMeansAnyFreePort() throws {
        let result = KubectlImport.parse("kubectl port-forward pod/web-0 http :metrics 5432", source: "argument 1")
        #expect(result.notes.isEmpty, "\(result.notes)")
        let web = try #require(try Rendered(result).forward("web-0"))
        #expect(web.ports == [
            PortMapping(local: 0, remote: .name("http")), PortMapping(local: 0, remote: .name("metrics")),
            PortMapping(local: 5432, remote: .number(5432)),
        ])
    }

    /// kubectl's `TYPE.GROUP/NAME` with the group deployments and statefulsets are in; another group is another
    /// resource, and a target with an empty type or name is no target.
    @Test func aTargetsGroupMustBeItsOwn() throws {
        let result = KubectlImport.parse("""
            kubectl port-forward deployments.v1.apps/api 8080:80
            kubectl port-forward statefulset.apps/db 5432
            kubectl port-forward deployment.example.com/api 8081:80
            kubectl port-forward svc/ 8082:80
            kubectl port-forward /web 8083:80
            """, source: "lines")
        let rendered = try Rendered(result)
        #expect(rendered.manifest.forwards.map(\.target) == [.deployment("api"), .statefulSet("db")])
        #expect(result.notes == [
            "lines:3: target deployment.example.com/api: deployments are in group apps, not example.com; skipped",
            "lines:4: target svc/: no name after the /; write TYPE/NAME, e.g. svc/web; skipped",
            "lines:5: target /web: no type before the /; write TYPE/NAME, e.g. svc/web; skipped",
        ])
    }
}
