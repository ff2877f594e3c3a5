import BerthTestSupport
import Foundation
import Testing

@testable import KubeClient

/// Exec plugins that misbehave: one that hangs, one that prints garbage, one that fails with a message. Each ends in
/// one clear error naming the kubeconfig user and the command; none stalls or crashes berth.
@Suite struct ExecPluginBadBehaviourTests {
    /// A runner for `script` (written into `dir`), with a timeout short enough for a test.
    func runner(_ dir: TemporaryDirectory, _ script: String, timeout: Duration = .seconds(20)) throws -> ExecPluginRunner {
        try dir.write("plugin.sh", "#!/bin/sh\n" + script, executable: true)
        let config = ExecConfig(
            apiVersion: ExecConfig.v1, command: "./plugin.sh", args: [], env: [.init(name: "STATE_DIR", value: dir.path)],
            installHint: nil, provideClusterInfo: false, interactiveMode: "Never", directory: dir.path)
        return ExecPluginRunner(config: config, user: "ops", cluster: nil, environment: ["PATH": "/usr/bin:/bin"], timeout: timeout)
    }

    /// The error's one line as the CLI and `berth status` show it.
    func failure(of runner: ExecPluginRunner) async -> String? {
        do {
            _ = try await runner.run()
            Issue.record("the plugin's run succeeded")
        } catch let error as KubeClientError {
            return error.description
        } catch {
            Issue.record("unexpected error \(error)")
        }
        return nil
    }

    /// Whether `pid` is gone (or a zombie nobody reaped yet: it runs no more).
    static func isGone(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return true }
        return stat.split(separator: ")").last?.split(separator: " ").first == "Z"
    }

    func pid(_ dir: TemporaryDirectory, _ name: String) throws -> Int32 {
        let text = try String(contentsOfFile: "\(dir.path)/\(name)", encoding: .utf8)
        return try #require(Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)))
    }

    @Test(.timeLimit(.minutes(1))) func aHangingPluginIsKilledWithWhatItStartedAtItsTimeout() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        // The plugin starts a helper that keeps its stdout open, then waits forever itself.
        let plugin = try runner(dir, """
            sleep 600 &
            echo $! > "$STATE_DIR/child.pid"
            echo $$ > "$STATE_DIR/plugin.pid"
            echo "waiting for a browser login" >&2
            sleep 600
            """, timeout: .milliseconds(400))
        let started = ContinuousClock.now
        let message = await failure(of: plugin)
        #expect(message == #"credentials of user "ops": exec: executable ./plugin.sh did not finish within 400ms; berth stopped it and every process it started"#)
        #expect(ContinuousClock.now - started < .seconds(10))
        let pluginPID = try pid(dir, "plugin.pid")
        let childPID = try pid(dir, "child.pid")
        try await eventually("the plugin and its helper are killed", within: 5) {
            Self.isGone(pluginPID) && Self.isGone(childPID)
        }
    }

    @Test func aPluginThatClosesItsOutputAndLingersIsKilledToo() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let plugin = try runner(dir, "exec >/dev/null 2>&1\nsleep 600\n", timeout: .milliseconds(300))
        let message = await failure(of: plugin)
        #expect(message?.hasSuffix("did not finish within 300ms; berth stopped it and every process it started") == true)
    }

    @Test func aPluginThatPrintsGarbageIsNotACredential() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let message = await failure(of: try runner(dir, #"printf '{"apiVersion": tok\n\377\376 not json'"#))
        #expect(message == #"credentials of user "ops": exec: the output of ./plugin.sh is not an ExecCredential JSON document"#)
    }

    @Test func aPluginThatExitsWithAnErrorSaysWhyInItsLastStderrLine() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let plugin = try runner(dir, """
            echo "refreshing token for cluster c1" >&2
            echo "error: the refresh token has expired; run: cloud auth login" >&2
            echo "" >&2
            exit 1
            """)
        let message = await failure(of: plugin)
        #expect(message == #"credentials of user "ops": exec: executable ./plugin.sh failed with exit code 1: error: the refresh token has expired; run: cloud auth login"#)
    }

    @Test func aPluginKilledByASignalSaysSo() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let message = await failure(of: try runner(dir, "kill -KILL $$\n"))
        #expect(message == #"credentials of user "ops": exec: executable ./plugin.sh was killed by signal 9"#)
    }
}
