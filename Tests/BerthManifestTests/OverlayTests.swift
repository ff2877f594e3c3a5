import BerthManifest
import Testing

/// A team file plus a personal overlay, merged forward by forward.
@Suite struct OverlayTests {
    private func merged() throws -> Manifest {
        let files = [try Corpus.fixture("overlays", "team.yaml"), try Corpus.fixture("overlays", "personal.yaml")]
        return try ManifestLoader.load(files: files).get()
    }

    @Test func overlayReplacesThePortListWhole() throws {
        let web = try #require(try merged()["web"])
        #expect(web.ports == [PortMapping(local: 18080, remote: .name("http"))])
        #expect(web.target == .service("web"))
    }

    @Test func overlayTargetReplacesTheTeamTarget() throws {
        let db = try #require(try merged()["db"])
        #expect(db.target == .pod("postgres-0"))
        #expect(db.namespace == "data")
        #expect(db.ports == [PortMapping(local: 5432, remote: .number(5432))])
    }

    @Test func overlayDisablesATeamForwardAndAddsItsOwn() throws {
        let manifest = try merged()
        #expect(manifest.forwards.map(\.name) == ["web", "db", "cache", "grafana"])
        #expect(manifest["cache"]?.enabled == false)
        #expect(manifest.enabledForwards.map(\.name) == ["web", "db", "grafana"])
        #expect(manifest["grafana"]?.namespace == "monitoring")
    }

    @Test func transportMergesLikeTheOtherFields() throws {
        let team = ManifestFile(path: "team.yaml", contents: """
            apiVersion: berth/v1
            kind: Forwards
            defaults: {transport: spdy}
            forwards:
              - {name: web, service: web, ports: [8080]}
              - {name: db, service: db, ports: [5432], transport: websocket-spdy}
            """)
        let personal = ManifestFile(path: "personal.yaml", contents: """
            apiVersion: berth/v1
            kind: Forwards
            forwards:
              - {name: db, transport: websocket}
            """)
        let manifest = try ManifestLoader.load(files: [team, personal]).get()
        #expect(manifest.defaults.transport == .spdy)
        #expect(manifest["web"]?.transport == .spdy)
        #expect(manifest["db"]?.transport == .websocket)
    }

    @Test func defaultsMergeFieldByField() throws {
        let manifest = try merged()
        #expect(manifest.defaults.hold == .seconds(30))
        #expect(manifest.defaults.context == "staging")
        #expect(manifest["web"]?.hold == .seconds(30))
        #expect(manifest["web"]?.context == "staging")
        #expect(manifest["web"]?.namespace == "shop")
    }

    @Test func withoutTheOverlayTheTeamFileStands() throws {
        let manifest = try ManifestLoader.load(files: [try Corpus.fixture("overlays", "team.yaml")]).get()
        #expect(manifest["web"]?.ports.count == 2)
        #expect(manifest["cache"]?.enabled == true)
        #expect(manifest.origins["db"]?.line == 11)
    }

    @Test func overlayAloneIsIncompleteAndSaysWhy() throws {
        let result = ManifestLoader.load(files: [try Corpus.fixture("overlays", "personal.yaml")])
        let errors = try #require(result.failure).errors
        #expect(errors.map(\.message).contains("forward 'web' has no target; add one of: service, pod, deployment, statefulset, selector, host"))
        #expect(errors.map(\.message).contains("forward 'db' has no ports; add e.g. ports: [\"8080:80\"]"))
        #expect(errors.allSatisfy { $0.file == "personal.yaml" && $0.kind == .missingField })
    }

    @Test func reEnablingInALaterOverlayWins() throws {
        let third = ManifestFile(path: "third.yaml", contents: """
            apiVersion: berth/v1
            kind: Forwards
            forwards:
              - name: cache
                enabled: true
            """)
        let files = [try Corpus.fixture("overlays", "team.yaml"), try Corpus.fixture("overlays", "personal.yaml"), third]
        #expect(try ManifestLoader.load(files: files).get()["cache"]?.enabled == true)
    }

    @Test func overlayThatClashesWithTheTeamIsReportedInTheOverlay() throws {
        let clash = ManifestFile(path: "clash.yaml", contents: """
            apiVersion: berth/v1
            kind: Forwards
            forwards:
              - name: mine
                service: mine
                ports: ["8080:80"]
            """)
        let errors = try #require(ManifestLoader.load(files: [try Corpus.fixture("overlays", "team.yaml"), clash]).failure).errors
        #expect(errors.count == 1)
        #expect(errors.first?.kind == .portConflict)
        #expect(errors.first?.file == "clash.yaml")
        #expect(errors.first?.line == 6)
        #expect(errors.first?.message.hasPrefix("127.0.0.1:8080 is already used by forward 'web'") == true)
    }
}

extension Result {
    /// The failure, for `#require` in tests.
    var failure: Failure? {
        if case .failure(let failure) = self { return failure }
        return nil
    }
}
