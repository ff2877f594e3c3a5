import FakeKube
import Foundation
import KubeAPI
import KubeClient
import Testing

/// Every way KubeClient authenticates, against FakeKube over real HTTPS: the answers come from a server that
/// checks client certificates and tokens for real, so a credential sent wrongly fails these tests.
@Suite(.timeLimit(.minutes(2)))
struct FakeKubeAuthTests {
    /// The error a call threw, if it was an API answer.
    private func apiStatus(_ body: () async throws -> Void) async -> (status: Status, description: String)? {
        do {
            try await body()
            Issue.record("expected the API server to refuse")
        } catch let error as KubeClientError {
            if case .api(let status, _, _) = error { return (status, error.description) }
            Issue.record("expected an API answer, got \(error)")
        } catch {
            Issue.record("expected a KubeClientError, got \(error)")
        }
        return nil
    }

    /// Deleting a pod that does not exist tells the users apart without changing anything: `admin`
    /// gets 404 NotFound, `readonly` gets 403 Forbidden (authorization comes before the lookup).
    private func probeDelete(_ client: KubeClient) async -> Int? {
        await apiStatus { try await client.deletePod(name: "no-such-pod", namespace: "team") }?.status.code
    }

    @Test func clientCertificateOfTheAdminUser() async throws {
        try await FakeKubeFixture.with { fixture in
            try await fixture.withClient(context: "admin") { client in
                #expect(client.configuration.credentials.clientCertificate != nil)
                #expect(client.configuration.credentials.bearer == nil)
                let pods = try await client.list(Pod.self, namespace: "team")
                #expect(pods.items.count == fixture.server.objects(.pods, namespace: "team").count)
                #expect(await probeDelete(client) == 404)
            }
        }
    }

    @Test func bearerToken() async throws {
        try await FakeKubeFixture.with { fixture in
            try await fixture.withClient(context: "admin-token") { client in
                #expect(client.configuration.credentials.clientCertificate == nil)
                let pod = try await client.get(Pod.self, name: "lonely", namespace: "team")
                #expect(pod.metadata.name == "lonely")
                #expect(await probeDelete(client) == 404)
            }
        }
    }

    @Test func readonlyUserGetsATypedForbiddenError() async throws {
        try await FakeKubeFixture.with { fixture in
            try await fixture.withClient(context: "readonly") { client in
                _ = try await client.list(Pod.self, namespace: "team")
                let refusal = try #require(await apiStatus { try await client.deletePod(name: "lonely", namespace: "team") })
                #expect(refusal.status.code == 403)
                #expect(refusal.status.reason == "Forbidden")
                #expect(refusal.status.details?.kind == "pods")
                #expect(refusal.status.details?.name == "lonely")
                // What a user needs to fix the RBAC rule: who, which verb, which resource, where.
                let message = refusal.status.message ?? ""
                #expect(message.contains(#"User "readonly" cannot delete resource "pods" in API group "" in the namespace "team""#))
                #expect(refusal.description.contains("DELETE /api/v1/namespaces/team/pods/lonely"))
                #expect(!refusal.description.contains(fixture.server.readonlyToken))
                #expect(fixture.server.object(.pods, namespace: "team", name: "lonely") != nil)
            }
        }
    }

    @Test func wrongTokenIsUnauthorized() async throws {
        try await FakeKubeFixture.with { fixture in
            let wrong = "not-the-token-\(UUID().uuidString)"
            let kubeconfig = try fixture.write(
                "wrong-token.yaml",
                """
                apiVersion: v1
                kind: Config
                clusters:
                \(fixture.clusterYAML)
                users:
                  - name: stranger
                    user:
                      token: \(wrong)
                contexts:
                  - name: stranger
                    context: {cluster: fake-kube, user: stranger}
                current-context: stranger
                """)
            try await fixture.withClient(context: nil, kubeconfig: kubeconfig) { client in
                let refusal = try #require(await apiStatus { _ = try await client.list(Pod.self, namespace: "team") })
                #expect(refusal.status.code == 401)
                #expect(refusal.status.reason == "Unauthorized")
                #expect(!refusal.description.contains(wrong))
            }
        }
    }

    @Test func tokenFileIsReadAndReReadWhenItChanges() async throws {
        try await FakeKubeFixture.with { fixture in
            try fixture.write("creds/token", fixture.server.readonlyToken + "\n")
            // The relative path is resolved against the kubeconfig's directory.
            let kubeconfig = try fixture.write(
                "creds/config.yaml",
                """
                apiVersion: v1
                kind: Config
                clusters:
                \(fixture.clusterYAML)
                users:
                  - name: from-file
                    user:
                      tokenFile: token
                contexts:
                  - name: from-file
                    context: {cluster: fake-kube, user: from-file, namespace: team}
                current-context: from-file
                """)
            try await fixture.withClient(context: nil, kubeconfig: kubeconfig) { client in
                #expect(await probeDelete(client) == 403, "authenticated as readonly from the file")
                // A rotated token (written beside and renamed over, as the kubelet does) is used from the next request.
                try fixture.write("creds/token", fixture.server.adminToken + "\n")
                #expect(await probeDelete(client) == 404, "authenticated as admin after the file changed")
            }
        }
    }

    @Test func mergedKubeconfigsFirstDefinitionWins() async throws {
        try await FakeKubeFixture.with { fixture in
            let unreachable = "https://127.0.0.1:1"
            let first = try fixture.write(
                "first/config",
                """
                apiVersion: v1
                kind: Config
                clusters:
                \(fixture.clusterYAML)
                users:
                  - name: shared
                    user:
                      token: stale-token-of-the-first-file
                contexts:
                  - name: shared
                    context: {cluster: fake-kube, user: shared, namespace: team}
                current-context: shared
                """)
            try fixture.write("second/admin-token", fixture.server.adminToken)
            let second = try fixture.write(
                "second/config",
                """
                apiVersion: v1
                kind: Config
                clusters:
                  - name: fake-kube
                    cluster:
                      server: \(unreachable)
                      insecure-skip-tls-verify: true
                users:
                  - name: shared
                    user:
                      token: \(fixture.server.adminToken)
                  - name: second-user
                    user:
                      tokenFile: admin-token
                contexts:
                  - name: shared
                    context: {cluster: fake-kube, user: second-user, namespace: other}
                  - name: from-second
                    context: {cluster: fake-kube, user: second-user, namespace: other}
                current-context: from-second
                """)
            let environment = FakeKubeFixture.environment.merging(["KUBECONFIG": "\(first):\(second)"]) { $1 }

            // A context only the second file defines, on the cluster the first file defined (the second's
            // cluster of the same name is unreachable), with the second file's relative tokenFile.
            let fromSecond = try KubeClientConfiguration.load(context: "from-second", environment: environment)
            #expect(fromSecond.server.url == fixture.server.serverURL)
            #expect(fromSecond.namespace == "other")
            try await FakeKubeFixture.withClient(fromSecond) { client in
                _ = try await client.list(Pod.self)
                #expect(await probeDelete(client) == 404, "the second file's admin token was used")
            }

            // current-context and the `shared` entries come from the first file, whole: its stale token is used.
            let current = try KubeClientConfiguration.load(environment: environment)
            #expect(current.contextName == "shared")
            #expect(current.namespace == "team")
            try await FakeKubeFixture.withClient(current) { client in
                let refusal = try #require(await apiStatus { _ = try await client.list(Pod.self) })
                #expect(refusal.status.code == 401)
            }
        }
    }
}
