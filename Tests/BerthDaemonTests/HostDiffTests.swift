import BerthDaemon
import BerthManifest
import Testing

@Suite struct HostDiffTests {
    private let web = ForwardSpec(name: "web", namespace: "shop", target: .service("web"), ports: [PortMapping(local: 8080, remote: .name("http"))])
    private let db = ForwardSpec(name: "db", target: .statefulSet("postgres"), ports: [PortMapping(local: 5432, remote: .number(5432))])

    @Test func sameSpecsHaveNoDifference() {
        let definitions = [web, db].map(ForwardDefinition.init)
        let diff = ManifestDiff(running: definitions, files: definitions)
        #expect(diff.isEmpty)
        #expect(diff.render().hasPrefix("no differences"))
    }

    @Test func addedRemovedAndChangedFieldByField() {
        var changedWeb = web
        changedWeb.ports = [PortMapping(local: 8081, remote: .name("http"))]
        changedWeb.hold = .milliseconds(1500)
        changedWeb.transport = .spdy
        let cache = ForwardSpec(name: "cache", target: .selector(["app": "redis"]), ports: [PortMapping(local: 6379, remote: .number(6379))])
        let diff = ManifestDiff(running: [web, db].map(ForwardDefinition.init), files: [changedWeb, cache].map(ForwardDefinition.init))
        #expect(diff.added.map(\.name) == ["cache"])
        #expect(diff.removed.map(\.name) == ["db"])
        #expect(diff.changed.map(\.name) == ["web"])
        #expect(diff.changed.first?.fields == [
            .init(field: "ports", running: "8080:http", files: "8081:http"),
            .init(field: "hold", running: "\(ForwardDefinition(web).fields["hold"]!)", files: "1500ms"),
            .init(field: "transport", running: "auto", files: "spdy"),
        ])
        let text = diff.render()
        #expect(text.contains("+ cache\n    target: selector/app=redis"))
        #expect(text.contains("- db"))
        #expect(text.contains("~ web\n    ports: 8080:http -> 8081:http"))
    }
}
