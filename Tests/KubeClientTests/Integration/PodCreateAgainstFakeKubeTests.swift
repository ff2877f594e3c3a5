import FakeKube
import Foundation
import KubeAPI
import KubeClient
import Testing

/// `create`, `listPods(matching:)` and `deletePod` against FakeKube over real HTTPS: what berth's relay pod
/// manager sends (docs/relay.md).
@Suite(.timeLimit(.minutes(2)))
struct PodCreateAgainstFakeKubeTests {
    static let pod = Pod(
        metadata: ObjectMeta(name: "made", labels: ["app.kubernetes.io/name": "made", "berth.dev/owner": "abc"]),
        spec: PodSpec(
            containers: [
                Container(
                    name: "relay", image: "example.invalid/relay:1", ports: [ContainerPort(containerPort: 10000, protocol: "TCP")],
                    args: ["--listen", "127.0.0.1"], securityContext: SecurityContext(runAsNonRoot: true, capabilities: Capabilities(drop: ["ALL"])))
            ],
            terminationGracePeriodSeconds: 0, automountServiceAccountToken: false))

    @Test func aCreatedPodComesBackWithItsUidIsListedByItsLabelsAndIsDeleted() async throws {
        try await FakeKubeFixture.with { fixture in
            try await fixture.withClient(context: "admin") { client in
                let created = try await client.create(Self.pod, namespace: "other")
                #expect(created.metadata.uid?.isEmpty == false)
                #expect(created.metadata.namespace == "other")
                // The server kept what was sent, field by field.
                #expect(created.spec?.containers == Self.pod.spec?.containers)
                #expect(created.spec?.automountServiceAccountToken == false)

                let listed = try await client.listPods(namespace: "other", matching: ["berth.dev/owner": "abc"])
                #expect(listed.map(\.metadata.name) == ["made"])
                #expect(try await client.listPods(namespace: "other", matching: ["berth.dev/owner": "someone-else"]).isEmpty)

                // A second create of the same name is the API's 409, which the relay manager reads as "already there".
                do {
                    _ = try await client.create(Self.pod, namespace: "other")
                    Issue.record("a second create of the same name must be refused")
                } catch let error as KubeClientError {
                    #expect(error.statusCode == 409)
                }
                try await client.deletePod(name: "made", namespace: "other")
                #expect(try await client.listPods(namespace: "other", matching: ["berth.dev/owner": "abc"]).isEmpty)
            }
        }
    }

    @Test func aUserWhoMayNotCreatePodsGets403AndNothingIsStored() async throws {
        try await FakeKubeFixture.with { fixture in
            try await fixture.withClient(context: "forwarder") { client in
                do {
                    _ = try await client.create(Self.pod, namespace: "other")
                    Issue.record("forwarder may not create pods")
                } catch let error as KubeClientError {
                    #expect(error.statusCode == 403)
                    #expect(error.description.hasPrefix("POST /api/v1/namespaces/other/pods: 403 Forbidden"), "\(error)")
                }
            }
            #expect(fixture.server.object(.pods, namespace: "other", name: "made") == nil)
        }
    }
}
