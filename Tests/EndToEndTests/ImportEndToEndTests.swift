import Foundation
import Testing

/// `berth import` as a process: annotated services listed from FakeKube, a kftray export and kubectl lines;
/// every printed manifest passes `berth validate`.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct ImportEndToEndTests {
    static let scenario = """
        namespaces: [shop, monitoring]
        services:
          - name: web
            namespace: shop
            selector: {app: web}
            ports: [{name: http, port: 80, targetPort: 8080}]
            annotations:
              kftray.app/enabled: "true"
              kftray.app/configs: "shop-web-18080-http"
          - name: api
            namespace: shop
            selector: {app: api}
            ports:
              - {name: grpc, port: 9000, targetPort: grpc}
              - {name: metrics, port: 9100, targetPort: 9100}
            annotations:
              k9scli.io/auto-port-forwards: "api::19000:grpc"
          - name: plain
            namespace: shop
            selector: {app: plain}
            ports: [{port: 80}]
          - name: grafana
            namespace: monitoring
            selector: {app: grafana}
            ports: [{port: 3000}]
            annotations:
              kftray.app/enabled: "true"
        """

    private func validate(_ world: ProcessWorld, _ manifest: String) async throws {
        let path = try world.write("imported-\(UUID().uuidString.prefix(6)).yaml", manifest)
        let validation = try await world.berth(["validate", path])
        #expect(validation.status == 0, "berth validate: \(validation.stderr)\n\(manifest)")
    }

    @Test func annotatedServicesOfEveryNamespaceOrOne() async throws {
        try await ProcessWorld.with(scenario: Self.scenario) { world in
            let all = try await world.berth(["import", "annotations", "-A"])
            #expect(all.status == 0, "\(all.stderr)")
            #expect(all.stderr.isEmpty)
            #expect(all.stdout.contains("""
                  # kftray.app/configs "shop-web-18080-http" on service shop/web
                  - name: shop-web
                    namespace: shop
                    service: web
                    ports: ["18080:http"]
                """))
            #expect(all.stdout.contains("""
                  - name: api
                    namespace: shop
                    service: api
                    ports: ["19000:9000"]
                """))
            #expect(all.stdout.contains("  - name: grafana\n    namespace: monitoring\n    service: grafana\n    ports: [\"3000:3000\"]"))
            #expect(!all.stdout.contains("plain"))
            try await validate(world, all.stdout)

            let shop = try await world.berth(["import", "annotations", "-n", "shop"])
            #expect(shop.status == 0, "\(shop.stderr)")
            #expect(shop.stdout.contains("- name: shop-web") && shop.stdout.contains("- name: api"))
            #expect(!shop.stdout.contains("grafana"))

            let none = try await world.berth(["import", "annotations", "-n", "kube-system"])
            #expect(none.status == 1, "nothing imported: \(none.stdout)")
        }
    }

    @Test func kftrayExportAndKubectlLinesPrintValidManifestsAndListTheRestOnStderr() async throws {
        try await ProcessWorld.with(scenario: Self.scenario) { world in
            let fixtures = FileManager.default.currentDirectoryPath + "/Tests/BerthImportTests/Fixtures"
            let kftray = try await world.berth(["import", "kftray", fixtures + "/kftray-configs.json"])
            #expect(kftray.status == 0, "\(kftray.stderr)")
            let notes = kftray.stderr.split(separator: "\n")
            #expect(notes.count == 4 && notes.allSatisfy { $0.hasPrefix("berth import: ") }, "\(kftray.stderr)")
            try await validate(world, kftray.stdout)

            let kubectl = try await world.berth(["import", "kubectl", "kubectl port-forward -n shop svc/web 8080:80", fixtures + "/tunnels.sh"])
            #expect(kubectl.status == 0, "\(kubectl.stderr)")
            #expect(kubectl.stdout.contains("- name: web\n") && kubectl.stdout.contains("- name: web-2\n"))
            try await validate(world, kubectl.stdout)

            let nothing = try await world.berth(["import", "kubectl", "kubectl get pods"])
            #expect(nothing.status == 1)
            #expect(nothing.stderr == "berth import: argument 1: no kubectl port-forward command found\n")

            let missing = try await world.berth(["import", "kftray", "/nonexistent/configs.json"])
            #expect(missing.status == 2)
        }
    }
}
