import FakeKube
import Foundation
import KubeAPI
import KubeClient
import Testing

/// An exec credential plugin (a shell script written by the test) authenticating against FakeKube: its
/// credential is cached until it expires, a 401 makes the next request run it again, and each run is counted
/// through a file the script appends to.
@Suite(.timeLimit(.minutes(2)))
struct ExecPluginAgainstFakeKubeTests {
    /// Writes the plugin and a kubeconfig using it. The first run answers `firstToken` when given, every other
    /// run the admin token; every answer expires at the time `setExpiry` last wrote (the test's wall clock
    /// is manual, so the script cannot compute it).
    private func install(_ fixture: FakeKubeFixture, expiry: Date, firstToken: String? = nil) throws -> (kubeconfig: String, runs: String) {
        let runs = (fixture.directory as NSString).appendingPathComponent("plugin-runs")
        try setExpiry(fixture, expiry)
        let good = fixture.server.adminToken
        try fixture.write(
            "plugin/get-token.sh",
            """
            #!/bin/sh
            echo "run $1" >> "$RUNS_FILE"
            token=\(good)
            if [ -n "\(firstToken ?? "")" ] && [ "$(wc -l < "$RUNS_FILE")" -eq 1 ]; then token="\(firstToken ?? "")"; fi
            printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"%s","expirationTimestamp":"%s"}}' "$token" "$(cat "$EXPIRY_FILE")"
            """, executable: true)
        let kubeconfig = try fixture.write(
            "plugin/config",
            """
            apiVersion: v1
            kind: Config
            clusters:
            \(fixture.clusterYAML)
            users:
              - name: exec-user
                user:
                  exec:
                    apiVersion: client.authentication.k8s.io/v1
                    command: ./get-token.sh
                    args: [fake-kube]
                    env:
                      - name: RUNS_FILE
                        value: \(runs)
                      - name: EXPIRY_FILE
                        value: \(fixture.directory)/plugin-expiry
                    interactiveMode: Never
                    provideClusterInfo: true
            contexts:
              - name: exec
                context: {cluster: fake-kube, user: exec-user, namespace: team}
            current-context: exec
            """)
        return (kubeconfig, runs)
    }

    private func setExpiry(_ fixture: FakeKubeFixture, _ expiry: Date) throws {
        try fixture.write("plugin-expiry", ISO8601DateFormatter().string(from: expiry))
    }

    private func runCount(_ path: String) -> Int {
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").count
    }

    @Test func credentialIsCachedUntilItExpiresThenThePluginRunsAgain() async throws {
        try await FakeKubeFixture.with { fixture in
            let wallClock = ManualWallClock()
            let (kubeconfig, runs) = try install(fixture, expiry: wallClock.now().addingTimeInterval(600))
            try await fixture.withClient(context: nil, kubeconfig: kubeconfig, now: wallClock.now) { client in
                _ = try await client.list(Pod.self)
                _ = try await client.get(Pod.self, name: "lonely")
                #expect(runCount(runs) == 1, "the credential is reused until it expires")
                #expect((try? String(contentsOfFile: runs, encoding: .utf8)) == "run fake-kube\n")

                wallClock.advance(by: 601)
                try setExpiry(fixture, wallClock.now().addingTimeInterval(600))
                _ = try await client.list(Pod.self)
                #expect(runCount(runs) == 2, "an expired credential runs the plugin again")
                _ = try await client.list(Pod.self)
                #expect(runCount(runs) == 2)
            }
        }
    }

    @Test func unauthorizedAnswerRunsThePluginAgainOnTheNextRequest() async throws {
        try await FakeKubeFixture.with { fixture in
            let wallClock = ManualWallClock()
            let (kubeconfig, runs) = try install(
                fixture, expiry: wallClock.now().addingTimeInterval(3600), firstToken: "revoked-token")
            try await fixture.withClient(context: nil, kubeconfig: kubeconfig, now: wallClock.now) { client in
                do {
                    _ = try await client.list(Pod.self)
                    Issue.record("the revoked token was accepted")
                } catch let error as KubeClientError {
                    #expect(error.statusCode == 401)
                    #expect(!error.description.contains("revoked-token"))
                }
                #expect(runCount(runs) == 1)
                // Still unexpired, but the 401 discarded it: the plugin runs once more and its new token works.
                let pods = try await client.list(Pod.self)
                #expect(pods.items.count == fixture.server.objects(.pods, namespace: "team").count)
                #expect(runCount(runs) == 2)
            }
        }
    }
}
