import Foundation
import Testing

/// `berth validate` and `berth version` as processes: exit codes, stdout, stderr, JSON.
@Suite struct CLITests {
    private let bad = "Tests/BerthManifestTests/Fixtures/bad"

    @Test func validManifestExitsZeroWithASummary() async throws {
        let run = try await BerthBinary.run([
            "validate", "examples/forwards.yaml", "examples/forwards.local.yaml", "--env-file", "examples/staging.env",
        ])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.isEmpty)
        let lines = run.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first == "examples/forwards.yaml + examples/forwards.local.yaml is valid: 7 forwards, 5 enabled")
        #expect(lines.contains { $0.hasPrefix("  web ") && $0.contains("service/web") && $0.contains("127.0.0.1:18080->http") && $0.hasSuffix("staging-eu/shop") })
        #expect(lines.contains { $0.hasPrefix("  cache ") && $0.contains("disabled") })
        #expect(lines.count == 9)
    }

    @Test func invalidManifestExitsOneWithCompilerStyleErrorsOnStderr() async throws {
        let file = "\(bad)/unknown-field-typo.yaml"
        let run = try await BerthBinary.run(["validate", file])
        #expect(run.status == 1)
        #expect(run.stdout.isEmpty)
        #expect(run.stderr == "\(file):5:5: error: unknown field 'namepsace' (did you mean 'namespace'?)\n")
    }

    @Test func everyErrorIsReportedOneLinePerError() async throws {
        let run = try await BerthBinary.run(["validate", "\(bad)/many-errors.yaml"])
        #expect(run.status == 1)
        let lines = run.stderr.split(separator: "\n")
        #expect(lines.count == 5)
        #expect(lines.allSatisfy { $0.hasPrefix("\(bad)/many-errors.yaml:") && $0.contains(": error: ") })
    }

    @Test func jsonOutputListsFileLineColumnPathMessage() async throws {
        let run = try await BerthBinary.run(["validate", "-o", "json", "-f", "\(bad)/two-targets.yaml"])
        #expect(run.status == 1)
        let entries = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [[String: Any]])
        #expect(entries.count == 1)
        let entry = try #require(entries.first)
        #expect(Set(entry.keys) == ["file", "line", "column", "path", "message"])
        #expect(entry["file"] as? String == "\(bad)/two-targets.yaml")
        #expect(entry["line"] as? Int == 6 && entry["column"] as? Int == 5)
        #expect(entry["path"] as? String == "forwards[0].pod")
        #expect(entry["message"] as? String == "a forward has exactly one target, but 'web' has both 'service' and 'pod'")
    }

    @Test func jsonOutputOfAValidManifestIsAnEmptyList() async throws {
        let run = try await BerthBinary.run(["validate", "--output", "json", "examples/forwards.yaml"])
        #expect(run.status == 0)
        #expect(run.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "[]")
    }

    @Test func environmentVariablesReachTheManifest() async throws {
        let file = "\(bad)/undefined-variable.yaml"
        let unset = try await BerthBinary.run(["validate", file])
        #expect(unset.status == 1)
        #expect(unset.stderr.contains("variable ${BERTH_TEST_UNSET_CONTEXT} is not set"))
        let set = try await BerthBinary.run(["validate", file], environment: ["BERTH_TEST_UNSET_CONTEXT": "dev", "BERTH_TEST_UNSET_PORT": "8080"])
        #expect(set.status == 0, "\(set.stderr)")
    }

    @Test func defaultFileIsForwardsYamlInTheCurrentDirectory() async throws {
        let directory = try TemporaryDirectory()
        let missing = try await BerthBinary.run(["validate"], in: directory.url)
        #expect(missing.status == 2)
        #expect(missing.stderr == "forwards.yaml: error: cannot read the file: no such file\n")
        _ = try directory.write("forwards.yaml", "apiVersion: berth/v1\nkind: Forwards\nforwards:\n  - name: web\n    service: web\n    ports: [8080]\n")
        let present = try await BerthBinary.run(["validate"], in: directory.url)
        #expect(present.status == 0, "\(present.stderr)")
        #expect(present.stdout.hasPrefix("forwards.yaml is valid: 1 forward, 1 enabled"))
    }

    @Test func unreadableEnvFileIsAUsageError() async throws {
        let run = try await BerthBinary.run(["validate", "examples/forwards.yaml", "--env-file", "does-not-exist.env"])
        #expect(run.status == 2)
        #expect(run.stderr.contains("does-not-exist.env: error: cannot read the file"))
    }

    @Test(arguments: [
        ["validate", "--output", "yaml"],
        ["validate", "--no-such-flag"],
        ["validate", "examples/forwards.yaml", "-f", "examples/forwards.local.yaml"],
        ["no-such-command"],
        ["forward", "--transport", "grpc", "svc/web", "8080"],
        ["help", "nosuch"],
        ["forward", "svc/web"],
    ])
    func usageErrorsExitTwo(arguments: [String]) async throws {
        let run = try await BerthBinary.run(arguments)
        #expect(run.status == 2, "\(arguments): \(run.stderr)")
        #expect(run.stderr.hasPrefix("error: "), "kubectl's style: \(run.stderr)")
        #expect(run.stdout.isEmpty)
    }

    @Test func versionAndHelp() async throws {
        let version = try await BerthBinary.run(["version"])
        #expect(version.status == 0)
        #expect(version.stdout.hasPrefix("berth ") && version.stdout.split(separator: ".").count == 3)
        let flag = try await BerthBinary.run(["--version"])
        #expect(flag.status == 0 && version.stdout.hasSuffix(flag.stdout))
        for command in [["--help"], ["validate", "--help"], ["version", "--help"]] {
            let help = try await BerthBinary.run(command)
            #expect(help.status == 0, "\(command)")
            #expect(help.stdout.contains("USAGE:"), "\(command)")
        }
        let validateHelp = try await BerthBinary.run(["validate", "--help"])
        #expect(validateHelp.stdout.contains("Examples:") && validateHelp.stdout.contains("--env-file"))
        let forwardHelp = try await BerthBinary.run(["forward", "--help"])
        #expect(forwardHelp.stdout.contains("--transport <transport>") && forwardHelp.stdout.contains("websocket-spdy"))
    }
}

/// The CLI and the manifest read ports with one parser: the same text gets the same answer.
@Suite struct PortSyntaxCLITests {
    @Test(arguments: [
        ("80/udp", "protocol udp is not supported yet: Kubernetes port-forwarding carries tcp only"),
        ("http", "'http' needs a local port"),
        ("70000:80", "local port 70000 is out of range 0-65535"),
        ("8080:0", "remote port 0 is out of range 1-65535"),
        ("8080:80/sctp", "unknown protocol 'sctp'; use tcp"),
    ])
    func forwardAndValidateRefuseAPortWithTheSameWords(port: String, message: String) async throws {
        let forward = try await BerthBinary.run(["forward", "svc/web", port])
        #expect(forward.status == 2, "\(forward.stderr)")
        #expect(forward.stderr.hasPrefix("error: port \"\(port)\": \(message)"), "\(forward.stderr)")

        let directory = try TemporaryDirectory()
        _ = try directory.write("forwards.yaml", "apiVersion: berth/v1\nkind: Forwards\nforwards:\n  - name: web\n    service: web\n    ports: [\"\(port)\"]\n")
        let validate = try await BerthBinary.run(["validate"], in: directory.url)
        #expect(validate.status == 1)
        #expect(validate.stderr.contains("forwards.yaml:6:") && validate.stderr.contains(": error: \(message)"), "\(validate.stderr)")
    }

    @Test func aPortWithTCPIsAcceptedByBoth() async throws {
        let directory = try TemporaryDirectory()
        _ = try directory.write("forwards.yaml", "apiVersion: berth/v1\nkind: Forwards\nforwards:\n  - name: web\n    service: web\n    ports: [\"8080:80/tcp\"]\n")
        #expect(try await BerthBinary.run(["validate"], in: directory.url).status == 0)
        // `forward` gets past parsing (to the kubeconfig, absent here): not a usage error.
        let forward = try await BerthBinary.run(["forward", "--kubeconfig", "/nonexistent/kc", "svc/web", "8080:80/tcp"])
        #expect(forward.status == 1, "\(forward.stderr)")
    }
}
