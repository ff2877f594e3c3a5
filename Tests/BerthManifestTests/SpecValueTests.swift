import BerthManifest
import Testing

/// What the loader hands the daemon: values, defaults applied, order kept.
@Suite struct SpecValueTests {
    @Test func everyPortFormParsesToItsMapping() throws {
        let manifest = try ManifestLoader.load(files: [try Corpus.fixture("good", "port-forms.yaml")]).get()
        #expect(manifest.forwards[0].ports == [
            PortMapping(local: 8080, remote: .number(8080)),
            PortMapping(local: 8081, remote: .number(8081)),
            PortMapping(local: 8082, remote: .number(80)),
            PortMapping(local: 8083, remote: .name("http")),
            PortMapping(local: 0, remote: .name("metrics")),
            PortMapping(local: 8084, remote: .number(443)),
            PortMapping(local: 8085, remote: .number(9000)),
            PortMapping(local: 9001, remote: .number(9001)),
            PortMapping(local: 0, remote: .name("grpc-web")),
            PortMapping(local: 8086, remote: .number(9002)),
        ])
    }

    @Test func forwardFieldsOverrideDefaultsAndTheRestInherit() throws {
        let manifest = try ManifestLoader.load(files: [try Corpus.fixture("good", "every-field.yaml")]).get()
        #expect(manifest["checkout"] == ForwardSpec(
            name: "checkout", context: "prod-us", namespace: "checkout", target: .service("checkout"),
            ports: [PortMapping(local: 8443, remote: .name("https"))], address: "::1", enabled: true,
            hold: .milliseconds(500), warm: 0, probe: ProbeSpec(interval: .seconds(30)), transport: .websocket))
        #expect(manifest["inherits"] == ForwardSpec(
            name: "inherits", context: "prod-eu", namespace: "payments", target: .service("fraud"),
            ports: [PortMapping(local: 8445, remote: .number(80))], address: "localhost",
            hold: .seconds(90), warm: 4, transport: .spdy))
        #expect(manifest["ledger"]?.probe == ProbeSpec(interval: .seconds(120)))
    }

    @Test func builtInDefaultsApplyWhenNothingIsSet() throws {
        let spec = try #require(try ManifestLoader.load(files: [try Corpus.fixture("good", "minimal.yaml")]).get().forwards.first)
        #expect(spec == ForwardSpec(name: "web", target: .service("web"), ports: [PortMapping(local: 8080, remote: .number(8080))]))
        // No warm set: the transport decides (6 over SPDY sessions, 1 over v4 WebSockets).
        #expect(spec.address == "127.0.0.1" && spec.hold == .seconds(10) && spec.warm == nil && spec.context == nil && spec.namespace == nil)
        #expect(spec.transport == .auto)
    }

    @Test func warmFollowsTheForwardThenTheDefaultsThenTheTransport() throws {
        let manifest = try ManifestLoader.load(files: [ManifestFile(path: "forwards.yaml", contents: """
            apiVersion: berth/v1
            kind: Forwards
            defaults: {warm: 2}
            forwards:
              - {name: a, service: a, ports: ["8080"]}
              - {name: b, service: b, warm: 0, ports: ["8081"]}
            """), ManifestFile(path: "plain.yaml", contents: "apiVersion: berth/v1\nkind: Forwards\nforwards:\n  - {name: c, service: c, ports: [\"8082\"]}\n")]).get()
        #expect(manifest["a"]?.warm == 2 && manifest["b"]?.warm == 0)
        // An overlay that sets no default keeps the base file's.
        #expect(manifest["c"]?.warm == 2)
        let plain = try ManifestLoader.load(files: [ManifestFile(path: "plain.yaml", contents: "apiVersion: berth/v1\nkind: Forwards\nforwards:\n  - {name: c, service: c, ports: [\"8082\"]}\n")]).get()
        #expect(plain.defaults.warm == nil && plain["c"]?.warm == nil)
    }

    @Test func issueSketchKeepsOrderTargetsAndDisabledForwards() throws {
        let manifest = try ManifestLoader.load(files: [try Corpus.fixture("good", "issue-sketch.yaml")]).get()
        #expect(manifest.forwards.map(\.target.description) == [
            "service/web", "statefulset/postgres", "selector/app=api,tier=backend", "pod/legacy-0",
        ])
        #expect(manifest.forwards.map(\.enabled) == [true, true, true, false])
        #expect(manifest.forwards.allSatisfy { $0.context == "staging" })
        #expect(manifest["db"]?.namespace == "data" && manifest["web"]?.namespace == "shop")
    }

    @Test func anchorsAndAliasesAreResolved() throws {
        let manifest = try ManifestLoader.load(files: [try Corpus.fixture("good", "anchors.yaml")]).get()
        #expect(manifest["blue"]?.ports == manifest["green"]?.ports)
        #expect(manifest["green"]?.ports.count == 2)
        #expect(manifest["blue"]?.namespace == "shop" && manifest["green"]?.namespace == "shop")
        #expect(manifest["blue"]?.hold == .seconds(30))
        #expect(manifest["green"]?.hold == .seconds(5), "a field written in the mapping wins over a merged one")
    }

    @Test func mergeKeyMustNameAMapping() throws {
        let file = ManifestFile(path: "m.yaml", contents: "apiVersion: berth/v1\nkind: Forwards\nforwards:\n  - name: a\n    service: a\n    ports: [1]\n    <<: 5\n")
        let errors = try #require(ManifestLoader.load(files: [file]).failure).errors
        #expect(errors.map(\.description) == ["m.yaml:7:9: error: a merge key (<<) takes a mapping or a list of mappings, found the number 5"])
    }

    @Test func specsDiffByValue() throws {
        let file = try Corpus.fixture("good", "minimal.yaml")
        let first = try ManifestLoader.load(files: [file]).get()
        let again = try ManifestLoader.load(files: [file]).get()
        #expect(Set(first.forwards) == Set(again.forwards))
        var changed = file
        changed.contents = file.contents.replacingOccurrences(of: "[8080]", with: "[8081]")
        #expect(try ManifestLoader.load(files: [changed]).get().forwards != first.forwards)
    }

    @Test func errorsRenderCompilerStyle() {
        let error = ManifestError(.unknownField, file: "forwards.yaml", line: 4, column: 5, path: "forwards[0].namepsace",
                                  message: "unknown field 'namepsace' (did you mean 'namespace'?)")
        #expect(error.description == "forwards.yaml:4:5: error: unknown field 'namepsace' (did you mean 'namespace'?)")
        let unreadable = ManifestError(.readFailed, file: "gone.yaml", line: 0, column: 0, path: "", message: "cannot read the file: no such file")
        #expect(unreadable.description == "gone.yaml: error: cannot read the file: no such file")
    }

    @Test func errorsFromSeveralFilesComeInFileOrder() throws {
        let broken = "apiVersion: berth/v1\nkind: Forwards\nforwards:\n  - name: x\n    service: X\n    ports: [1]\n"
        let files = [ManifestFile(path: "b.yaml", contents: broken), ManifestFile(path: "a.yaml", contents: broken)]
        let errors = try #require(ManifestLoader.load(files: files).failure).errors
        #expect(errors.map(\.file) == ["b.yaml", "a.yaml"])
    }
}
