import BerthImport
import BerthManifest
import KubeAPI
import Testing

/// `berth import annotations` on services annotated for kftray and k9s.
@Suite struct AnnotationImportTests {
    private func service(
        _ name: String, namespace: String = "shop", annotations: [String: String], selector: [String: String] = ["app": "x"],
        ports: [ServicePort]
    ) -> Service {
        Service(
            metadata: ObjectMeta(name: name, namespace: namespace, annotations: annotations),
            spec: ServiceSpec(selector: selector, ports: ports))
    }

    @Test func kftrayConfigsGiveAliasLocalPortAndTargetPort() throws {
        let grafana = service(
            "grafana", namespace: "monitoring",
            annotations: ["kftray.app/enabled": "true", "kftray.app/configs": "grafana-ui-13080-3000, grafana-api-13081-http"],
            ports: [ServicePort(name: "http", port: 3000)])
        let rendered = try Rendered(AnnotationImport.parse([grafana], context: "staging"))
        #expect(rendered.manifest.forwards.map(\.name) == ["grafana-ui", "grafana-api"])
        let ui = try #require(rendered.forward("grafana-ui"))
        #expect(ui.context == "staging")
        #expect(ui.namespace == "monitoring")
        #expect(ui.target == .service("grafana"))
        #expect(ui.ports == [PortMapping(local: 13080, remote: .number(3000))])
        #expect(rendered.forward("grafana-api")?.ports == [PortMapping(local: 13081, remote: .name("http"))])
        #expect(rendered.comment(above: "grafana-ui") == "  # kftray.app/configs \"grafana-ui-13080-3000\" on service monitoring/grafana (context staging)")
    }

    @Test func kftrayEnabledAloneForwardsEveryServicePort() throws {
        let web = service("web", annotations: ["kftray.app/enabled": "true"], ports: [ServicePort(name: "http", port: 80), ServicePort(name: "admin", port: 9000)])
        let forwards = try Rendered(AnnotationImport.parse([web], context: nil)).manifest.forwards
        #expect(forwards.map(\.name) == ["web", "web-2"])
        #expect(forwards.map(\.ports) == [[PortMapping(local: 80, remote: .number(80))], [PortMapping(local: 9000, remote: .number(9000))]])
        #expect(forwards.allSatisfy { $0.context == nil })
    }

    @Test func kftrayConfigsWithoutEnabledAreSkippedAsKftrayWouldAndSaidSo() {
        let result = AnnotationImport.parse([service("web", annotations: ["kftray.app/configs": "web-8080-80"], ports: [ServicePort(port: 80)])], context: nil)
        #expect(result.forwards.isEmpty)
        #expect(result.notes == ["service shop/web: has kftray.app/configs but not kftray.app/enabled: \"true\"; skipped as kftray would"])
    }

    @Test func k9sContainerPortsMapThroughTheServiceOrFallBackToItsPods() throws {
        let api = service(
            "api", annotations: ["k9scli.io/auto-port-forwards": "api::8080:http", "k9scli.io/port-forwards": "api::8080:http,sidecar::9901"],
            selector: ["app": "api"],
            ports: [ServicePort(name: "web", port: 80, targetPort: .string("http"))])
        let rendered = try Rendered(AnnotationImport.parse([api], context: nil))
        #expect(rendered.manifest.forwards.map(\.name) == ["api", "api-pods"])
        let viaService = try #require(rendered.forward("api"))
        #expect(viaService.target == .service("api"))
        #expect(viaService.ports == [PortMapping(local: 8080, remote: .number(80))])
        let viaPods = try #require(rendered.forward("api-pods"))
        #expect(viaPods.target == .selector(["app": "api"]))
        #expect(viaPods.ports == [PortMapping(local: 9901, remote: .number(9901))])
    }

    @Test func aMalformedAnnotationIsNotedNotDropped() {
        let result = AnnotationImport.parse(
            [service("db", annotations: ["kftray.app/enabled": "true", "kftray.app/configs": "db-five-5432", "k9scli.io/port-forwards": "pg::x:y:z"], ports: [ServicePort(port: 5432)])],
            context: nil)
        #expect(result.forwards.isEmpty)
        #expect(result.notes.count == 2)
        #expect(result.notes.allSatisfy { $0.hasPrefix("service shop/db: ") && $0.hasSuffix("; skipped") })
    }

    /// Ports are read by the manifest's own port rules: one the manifest would refuse (a port name that is not
    /// one, a number out of range) is noted and skipped, never written into a manifest that does not validate.
    @Test func aPortTheManifestWouldRefuseIsNotedNotWritten() throws {
        let web = service(
            "web",
            annotations: [
                "kftray.app/enabled": "true", "kftray.app/configs": "bad-8080-Bad_Name, far-8081-70000, ok-8082-80",
                "k9scli.io/port-forwards": "web::8083:Bad_Name,web::99999,web::8084:80,web:::9901",
            ],
            ports: [ServicePort(name: "http", port: 80)])
        let result = AnnotationImport.parse([web], context: nil)
        let rendered = try Rendered(result)
        #expect(rendered.manifest.forwards.map(\.name) == ["ok", "web", "web-pods"])
        #expect(rendered.forward("ok")?.ports == [PortMapping(local: 8082, remote: .number(80))])
        #expect(rendered.forward("web")?.ports == [PortMapping(local: 8084, remote: .number(80))])
        // `:PORT`, a local port left empty: any free one, as in kubectl's words.
        #expect(rendered.forward("web-pods")?.ports == [PortMapping(local: 0, remote: .number(9901))])
        #expect(result.notes == [
            "service shop/web: kftray.app/configs entry \"bad-8080-Bad_Name\" is not ALIAS-LOCALPORT-TARGETPORT; skipped",
            "service shop/web: kftray.app/configs entry \"far-8081-70000\" is not ALIAS-LOCALPORT-TARGETPORT; skipped",
            "service shop/web: k9scli.io/port-forwards entry \"web::8083:Bad_Name\" is not [CONTAINER::][LOCAL:]PORT; skipped",
            "service shop/web: k9scli.io/port-forwards entry \"web::99999\" is not [CONTAINER::][LOCAL:]PORT; skipped",
        ])
    }
}
