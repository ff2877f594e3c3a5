import Foundation
import KubeAPI
import Logging
import Testing

@testable import KubeClient

@Suite struct ExecPluginTests {
    let pki = TestPKI.shared

    func provider(_ exec: ExecConfig, clock: ManualWallClock = ManualWallClock(), env: [String: String] = ["PATH": "/usr/bin:/bin"]) -> CredentialProvider {
        let configuration = KubeClientConfiguration(
            contextName: "c", source: "/k/config",
            server: ServerAddress(scheme: "https", host: "127.0.0.1", port: 6443),
            tls: TLSSettings(certificateAuthorityPEM: Array(pki.caPEM.utf8), serverName: "kube.test"),
            credentials: Credentials(bearer: .exec(exec)), userName: "exec-user")
        return CredentialProvider(configuration: configuration, environment: env, now: clock.now, logger: Logger(label: "test"))
    }

    func credentialsError(_ body: () async throws -> Void) async -> String? {
        do {
            try await body()
        } catch KubeClientError.credentials(let user, let message) {
            #expect(user == "exec-user")
            return message
        } catch {
            Issue.record("unexpected error \(error)")
        }
        return nil
    }

    @Test func v1CredentialIsCachedUntilItExpires() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let plugin = try ExecPluginFixture(dir: dir)
        let clock = ManualWallClock()
        let expiry = ISO8601DateFormatter().string(from: clock.now().addingTimeInterval(300))
        let credentials = provider(plugin.config(expiry: expiry, provideClusterInfo: true), clock: clock)

        #expect(try await credentials.authorization() == "Bearer tok-1")
        #expect(try await credentials.authorization() == "Bearer tok-1")
        #expect(plugin.runs == 1)
        #expect(plugin.args == "get-token --cluster c1")

        clock.advance(by: 299)
        #expect(try await credentials.authorization() == "Bearer tok-1")
        clock.advance(by: 2)
        #expect(try await credentials.authorization() == "Bearer tok-2")
        #expect(plugin.runs == 2)

        let info = plugin.execInfo
        #expect(info["kind"] as? String == "ExecCredential")
        #expect(info["apiVersion"] as? String == ExecConfig.v1)
        let spec = try #require(info["spec"] as? [String: Any])
        #expect(spec["interactive"] as? Bool == false)
        let cluster = try #require(spec["cluster"] as? [String: Any])
        #expect(cluster["server"] as? String == "https://127.0.0.1:6443")
        #expect(cluster["tls-server-name"] as? String == "kube.test")
        #expect(cluster["certificate-authority-data"] as? String == Data(pki.caPEM.utf8).base64EncodedString())
        #expect(cluster["insecure-skip-tls-verify"] == nil)
    }

    @Test func v1beta1WithoutClusterInfoAndWithoutExpiryIsReusedUntilInvalidated() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let plugin = try ExecPluginFixture(dir: dir)
        let credentials = provider(plugin.config(apiVersion: ExecConfig.v1beta1))
        #expect(try await credentials.authorization() == "Bearer tok-1")
        let spec = try #require(plugin.execInfo["spec"] as? [String: Any])
        #expect(spec["cluster"] == nil)
        #expect(plugin.execInfo["apiVersion"] as? String == ExecConfig.v1beta1)
        #expect(try await credentials.authorization() == "Bearer tok-1")
        // What a 401 does: the next request runs the plugin again.
        await credentials.invalidate()
        #expect(try await credentials.authorization() == "Bearer tok-2")
        #expect(plugin.runs == 2)
    }

    @Test func concurrentRequestsRunThePluginOnce() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let plugin = try ExecPluginFixture(dir: dir)
        let credentials = provider(plugin.config())
        try await withThrowingTaskGroup(of: String?.self) { group in
            for _ in 0..<8 { group.addTask { try await credentials.authorization() } }
            for try await value in group { #expect(value == "Bearer tok-1") }
        }
        #expect(plugin.runs == 1)
    }

    @Test func versionMismatchIsRejected() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let plugin = try ExecPluginFixture(dir: dir)
        let credentials = provider(plugin.config(apiVersion: ExecConfig.v1beta1, replyVersion: ExecConfig.v1))
        let message = await credentialsError { _ = try await credentials.authorization() }
        #expect(message?.contains("configured to use API version client.authentication.k8s.io/v1beta1, plugin returned version client.authentication.k8s.io/v1") == true)
    }

    @Test func missingBinaryNamesTheCommandAndTheHint() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let plugin = try ExecPluginFixture(dir: dir)
        let credentials = provider(
            plugin.config(command: "berth-no-such-plugin", installHint: "install it with: brew install berth-plugin"),
            env: ["PATH": dir.path])
        let message = await credentialsError { _ = try await credentials.authorization() }
        #expect(message?.contains("exec: executable berth-no-such-plugin not found") == true)
        #expect(message?.contains("brew install berth-plugin") == true)
    }

    @Test func bareCommandIsFoundInPathNotInTheKubeconfigDirectory() async throws {
        let dir = try TemporaryDirectory()
        let bin = try TemporaryDirectory()
        defer { dir.remove(); bin.remove() }
        _ = try ExecPluginFixture(dir: dir, name: "berth-plugin")
        // Only in the kubeconfig directory: a bare name is not looked up there.
        let notInPath = provider(try ExecPluginFixture(dir: dir).config(command: "berth-plugin"), env: ["PATH": bin.path])
        #expect(await credentialsError { _ = try await notInPath.authorization() }?.contains("not found") == true)
        // In PATH: found and run.
        _ = try ExecPluginFixture(dir: bin, name: "berth-plugin")
        let inPath = provider(try ExecPluginFixture(dir: dir).config(command: "berth-plugin"), env: ["PATH": "/nonexistent:\(bin.path)"])
        #expect(try await inPath.authorization() == "Bearer tok-1")
    }

    @Test func failingPluginReportsItsExitCode() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let plugin = try ExecPluginFixture(dir: dir, exitCode: 3)
        let message = await credentialsError { _ = try await provider(plugin.config()).authorization() }
        // The last line of its stderr says why.
        #expect(message == "exec: executable ./plugin.sh failed with exit code 3: plugin failing on purpose")
    }

    @Test func alwaysInteractiveWithoutATerminalFails() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        var exec = try ExecPluginFixture(dir: dir).config()
        exec.interactiveMode = "Always"
        let message = await credentialsError { _ = try await provider(exec).authorization() }
        #expect(message?.contains("interactiveMode: Always") == true)
    }

    @Test func certificateCredentialsComeWithoutAToken() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let plugin = try ExecPluginFixture(dir: dir, certificate: pki.ecClient)
        let credentials = provider(plugin.config())
        #expect(try await credentials.authorization() == nil)
        let certificate = try await credentials.clientCertificate()
        #expect(certificate?.certificate == Array(pki.ecClient.certificatePEM.utf8))
        #expect(plugin.runs == 1)
    }
}
