import Testing

@testable import FakeKube

@Suite struct SelectorTests {
    @Test func equalityRequirements() throws {
        let selector = try LabelSelector(parsing: "app=web,tier!=db,env==prod")
        #expect(selector.matches(["app": "web", "env": "prod"]))
        #expect(selector.matches(["app": "web", "env": "prod", "tier": "frontend"]))
        #expect(!selector.matches(["app": "web", "env": "prod", "tier": "db"]))
        #expect(!selector.matches(["app": "api", "env": "prod"]))
    }

    @Test func setBasedRequirements() throws {
        let selector = try LabelSelector(parsing: "env in (prod, staging),tier notin (db),app,!legacy")
        #expect(selector.matches(["env": "staging", "app": "x"]))
        #expect(!selector.matches(["env": "dev", "app": "x"]))
        #expect(!selector.matches(["env": "prod", "app": "x", "tier": "db"]))
        #expect(!selector.matches(["env": "prod"]))
        #expect(!selector.matches(["env": "prod", "app": "x", "legacy": "true"]))
    }

    @Test func anEmptySelectorMatchesEverything() throws {
        #expect(try LabelSelector(parsing: "").matches([:]))
    }

    @Test func malformedSelectorsAreRejected() {
        #expect(throws: FakeKubeError.self) { try LabelSelector(parsing: "app=(web") }
        #expect(throws: FakeKubeError.self) { try LabelSelector(parsing: "env in prod") }
    }

    @Test func fieldSelectorsOnNameNamespaceAndPhase() throws {
        let pod: JSON = ["metadata": ["name": "a", "namespace": "ns"], "status": ["phase": "Running"]]
        #expect(try FieldSelector(parsing: "metadata.name=a", resource: .pods).matches(pod))
        #expect(try FieldSelector(parsing: "metadata.namespace==ns,status.phase=Running", resource: .pods).matches(pod))
        #expect(!(try FieldSelector(parsing: "status.phase!=Running", resource: .pods).matches(pod)))
        #expect(throws: FakeKubeError.self) { try FieldSelector(parsing: "spec.nodeName=x", resource: .pods) }
        #expect(throws: FakeKubeError.self) { try FieldSelector(parsing: "status.phase=Running", resource: .services) }
    }
}
