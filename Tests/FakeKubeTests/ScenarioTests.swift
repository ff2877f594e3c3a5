import FakeKube
import Testing

@Suite struct ScenarioTests {
    @Test func theDemoClusterLoads() throws {
        let scenario = try Scenario.load(path: TestScenarios.demoPath)
        #expect(scenario.allNamespaces.count >= 3)
        #expect(!scenario.deployments.isEmpty)
        #expect(!scenario.statefulsets.isEmpty)
        #expect(scenario.services.contains { $0.ports.count > 1 })
        #expect(scenario.services.contains { $0.ports.contains { $0.targetPort == .name("http") } })
        #expect(scenario.deployments.contains { $0.containers.contains { $0.ports.contains { $0.behaviour == .http } } })
    }

    @Test func defaultsApply() throws {
        let scenario = try Scenario.parse(yaml: """
            deployments:
              - name: web
                containers: [{name: c, ports: [{containerPort: 80}]}]
            """)
        let web = try #require(scenario.deployments.first)
        #expect(web.namespace == "default")
        #expect(web.replicas == 1)
        #expect(web.labels == ["app": "web"])
        #expect(web.containers[0].ports[0].behaviour == .echo)
    }

    @Test func aMissingFieldIsNamed() {
        #expect {
            try Scenario.parse(yaml: "services:\n  - name: s\n    selector: {app: x}\n", path: "s.yaml")
        } throws: { error in
            guard case .scenarioInvalid(let path, let location, _) = error as? FakeKubeError else { return false }
            return path == "s.yaml" && location == "services[0].ports"
        }
    }

    @Test func aBadValueIsNamed() {
        #expect {
            try Scenario.parse(yaml: """
                deployments:
                  - name: web
                    containers: [{name: c, ports: [{containerPort: 80, behaviour: teleport}]}]
                """)
        } throws: { error in
            guard case .scenarioInvalid(_, let location, _) = error as? FakeKubeError else { return false }
            return location == "deployments[0].containers[0].ports[0].behaviour"
        }
        #expect {
            try Scenario.parse(yaml: """
                services:
                  - name: s
                    selector: {app: x}
                    ports: [{port: 80}, {port: 81}]
                """)
        } throws: { error in
            guard case .scenarioInvalid(_, let location, _) = error as? FakeKubeError else { return false }
            return location.contains("services[0]") && location.contains("ports[0].name")
        }
    }

    @Test func brokenYAMLNamesTheLine() {
        #expect {
            try Scenario.parse(yaml: "deployments:\n  - name: [unclosed\n")
        } throws: { error in
            guard case .scenarioInvalid(_, let location, _) = error as? FakeKubeError else { return false }
            return location.hasPrefix("line ")
        }
    }
}
