@testable import BerthManifest
import Testing

/// Local names in the manifest: `names`, `hostnames`, the cluster domain and the address range.
@Suite struct LocalNamesTests {
    private func load(_ yaml: String, overlay: String? = nil) -> Result<Manifest, ManifestErrors> {
        var files = [ManifestFile(path: "forwards.yaml", contents: "apiVersion: berth/v1\nkind: Forwards\n" + yaml)]
        if let overlay { files.append(ManifestFile(path: "local.yaml", contents: "apiVersion: berth/v1\nkind: Forwards\n" + overlay)) }
        return ManifestLoader.load(files: files)
    }

    @Test func theFixtureGivesEachForwardItsNamesAndOwnAddress() throws {
        let manifest = try ManifestLoader.load(files: [try Corpus.fixture("good", "local-names.yaml")]).get()
        #expect(manifest.defaults.clusterDomain == "cluster.example")
        #expect(manifest.defaults.addressRange.description == "127.80.0.0/20")
        let web = try #require(manifest["web"])
        #expect(web.names && web.ownAddress)
        #expect(web.localNames(namespace: web.namespace, clusterDomain: manifest.defaults.clusterDomain)
            == ["web", "web.shop", "web.shop.svc", "web.shop.svc.cluster.example"])
        let db = try #require(manifest["db"])
        // A statefulset has no cluster names of its own: only the explicit ones.
        #expect(db.localNames(namespace: "data", clusterDomain: "cluster.local") == ["db.local", "postgres.data"])
        // Its pod's name under the headless service, once the daemon has picked the pod, in the service forms.
        #expect(db.localNames(namespace: "data", clusterDomain: "cluster.local", podDomainName: "postgres-0.postgres") == [
            "db.local", "postgres.data", "postgres-0.postgres", "postgres-0.postgres.data", "postgres-0.postgres.data.svc",
            "postgres-0.postgres.data.svc.cluster.local",
        ])
        #expect(db.ownAddress)
        let cache = try #require(manifest["cache"])
        #expect(!cache.names && !cache.ownAddress && !cache.hasLocalNames)
        let admin = try #require(manifest["admin"])
        #expect(!admin.ownAddress && admin.address == "127.0.0.2")
    }

    @Test func namesAreOffByDefaultAndAnAddressInDefaultsKeepsEveryForwardThere() throws {
        let plain = try load("forwards:\n  - {name: web, service: web, ports: [\"80\"]}\n").get()
        #expect(plain["web"]?.hasLocalNames == false && plain["web"]?.ownAddress == false)
        let shared = try load("defaults: {names: true, address: 127.0.0.1}\nforwards:\n  - {name: web, service: web, ports: [\"80\"]}\n").get()
        #expect(shared["web"]?.hasLocalNames == true && shared["web"]?.ownAddress == false)
    }

    @Test func namesOnAStatefulSetOrPodWaitForThePodsNameAndADeploymentHasNone() throws {
        let manifest = try load("""
            defaults: {names: true}
            forwards:
              - {name: db, statefulset: postgres, ports: ["5432"]}
              - {name: one, pod: postgres-1, ports: ["5433:5432"]}
              - {name: api, deployment: api, ports: ["8080"]}
            """).get()
        let db = try #require(manifest["db"]), one = try #require(manifest["one"]), api = try #require(manifest["api"])
        #expect(db.hasLocalNames && db.ownAddress && one.hasLocalNames && one.ownAddress, "their pods may have names")
        #expect(db.localNames(namespace: "data", clusterDomain: "cluster.local").isEmpty, "none before the pod is known")
        #expect(!api.hasLocalNames && !api.ownAddress)
        let off = try load("forwards:\n  - {name: db, statefulset: postgres, names: false, ports: [\"5432\"]}\n").get()
        #expect(off["db"]?.localNames(namespace: "data", clusterDomain: "cluster.local", podDomainName: "postgres-0.postgres") == [])
    }

    @Test func forwardsWithTheirOwnAddressMayShareAPort() throws {
        let yaml = "defaults: {names: true}\nforwards:\n  - {name: web, service: web, ports: [\"80\"]}\n  - {name: api, service: api, ports: [\"80\"]}\n"
        #expect(throws: Never.self) { try load(yaml).get() }
        // Without names both would listen on 127.0.0.1:80.
        let clash = load("forwards:\n  - {name: web, service: web, ports: [\"80\"]}\n  - {name: api, service: api, ports: [\"80\"]}\n")
        #expect(throws: ManifestErrors.self) { try clash.get() }
    }

    @Test func anOverlayTurnsNamesOnAndReplacesHostnames() throws {
        let base = "forwards:\n  - {name: db, statefulset: postgres, hostnames: [db.local], ports: [\"5432\"]}\n  - {name: web, service: web, ports: [\"80\"]}\n"
        let overlay = "defaults: {names: true}\nforwards:\n  - {name: db, hostnames: [db.mine]}\n"
        let manifest = try load(base, overlay: overlay).get()
        #expect(manifest["db"]?.hostnames == ["db.mine"])
        #expect(manifest["web"]?.names == true && manifest["web"]?.ownAddress == true)
    }

    @Test func aNamespaceLeftToTheContextGivesOnlyTheBareName() {
        let spec = ForwardSpec(name: "web", target: .service("web"), ports: [PortMapping(local: 80, remote: .number(80))], names: true, hostnames: ["web"])
        #expect(spec.localNames(namespace: nil, clusterDomain: "cluster.local") == ["web"])
    }

    @Test func loopbackRanges() throws {
        let range = try LoopbackRange.parse("127.64.0.0/16").get()
        #expect(range == .standard && range.usableCount == 65534)
        #expect(range.address(at: 0) == "127.64.0.1" && range.address(at: 65533) == "127.64.255.254" && range.address(at: 65534) == "127.64.0.1")
        #expect(range.contains("127.64.3.4") && !range.contains("127.65.0.1") && !range.contains("::1"))
        let small = try LoopbackRange.parse("127.1.2.4/30").get()
        #expect(small.usableCount == 2 && small.address(at: 1) == "127.1.2.6")
        for bad in ["127.64.0.0", "127.64.0.0/31", "127.64.0.0/7", "10.0.0.0/16", "127.64.0.1/16", "127.64.0.0/x", "localhost/16"] {
            #expect(throws: LoopbackRange.Problem.self, "\(bad)") { try LoopbackRange.parse(bad).get() }
        }
    }
}
