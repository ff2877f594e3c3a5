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
        ["validate", "--output", "xml"],
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
        ("http", "'http' needs a local port"),
        ("70000:80", "local port 70000 is out of range 0-65535"),
        ("8080:0", "remote port 0 is out of range 1-65535"),
        ("8080:80/sctp", "unknown protocol 'sctp'; use tcp or udp"),
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

    /// UDP needs berth's relay pod, which only the daemon runs: the manifest takes `/udp`, `berth forward` says where to put it.
    @Test func aUDPPortIsValidInAManifestAndRefusedByForwardSayingWhy() async throws {
        let directory = try TemporaryDirectory()
        _ = try directory.write("forwards.yaml", "apiVersion: berth/v1\nkind: Forwards\nforwards:\n  - name: dns\n    service: kube-dns\n    ports: [\"5353:53/udp\"]\n")
        let validate = try await BerthBinary.run(["validate"], in: directory.url)
        #expect(validate.status == 0, "\(validate.stderr)")
        #expect(validate.stdout.contains("127.0.0.1:5353->53/udp"), "\(validate.stdout)")
        let forward = try await BerthBinary.run(["forward", "svc/kube-dns", "5353:53/udp"])
        #expect(forward.status == 2, "\(forward.stderr)")
        #expect(forward.stderr.hasPrefix("error: port \"5353:53/udp\": berth forward carries tcp only"), "\(forward.stderr)")
    }
}

/// `berth forward` and `berth import kubectl` read a kubectl target with one parser: kubectl's spellings work in
/// both (a bare name is a pod, `TYPE.GROUP/NAME` names the group), and both refuse the same words alike.
@Suite struct TargetSyntaxCLITests {
    @Test(arguments: ["deployment.apps/api", "deployments.v1.apps/api", "Deploy/api", "statefulset.apps/db", "po/web-0", "web-0"])
    func forwardTakesEveryKubectlSpellingOfATarget(target: String) async throws {
        // Past parsing to the kubeconfig, absent here: not a usage error.
        let forward = try await BerthBinary.run(["forward", "--kubeconfig", "/nonexistent/kc", target, "8080:80"])
        #expect(forward.status == 1, "\(forward.stderr)")
        #expect(forward.stderr.contains("/nonexistent/kc"), "\(forward.stderr)")
    }

    @Test(arguments: [
        ("rs/legacy", "target rs/legacy: berth forwards to services, pods, deployments and statefulsets, not rs"),
        ("deployment.example.com/api", "target deployment.example.com/api: deployments are in group apps, not example.com"),
        ("svc/", "target svc/: no name after the /; write TYPE/NAME, e.g. svc/web"),
    ])
    func forwardAndImportRefuseATargetWithTheSameWords(target: String, message: String) async throws {
        let forward = try await BerthBinary.run(["forward", target, "8080:80"])
        #expect(forward.status == 2, "\(forward.stderr)")
        #expect(forward.stderr.hasPrefix("error: \(message)\n"), "\(forward.stderr)")
        let imported = try await BerthBinary.run(["import", "kubectl", "kubectl port-forward \(target) 8080:80"])
        #expect(imported.status == 1, "\(imported.stderr)")
        #expect(imported.stderr.hasPrefix("berth import: argument 1: \(message); skipped\n"), "\(imported.stderr)")
    }
}

/// One style for every command (kubectl's): `error:` lines on stderr, data on stdout, the same `-o` names,
/// help that reads well in 80 columns.
@Suite struct CLIStyleTests {
    static let commands = [[], ["up"], ["status"], ["diff"], ["down"], ["forward"], ["validate"], ["demo"], ["version"]]

    @Test func helpFitsEightyColumnsWithOneExamplePerLineAndEveryExitCode() async throws {
        for command in Self.commands {
            let help = try await BerthBinary.run(command + ["--help"])
            #expect(help.status == 0, "\(command)")
            let lines = help.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            for line in lines where !line.hasPrefix("USAGE:") {
                #expect(line.count <= 80, "\(command): \(line)")
            }
            if let examples = lines.firstIndex(of: "Examples:") {
                for line in lines[(examples + 1)...].prefix(while: { !$0.isEmpty }) {
                    #expect(line.hasPrefix("  berth "), "\(command): an example wrapped or not runnable as typed: \(line)")
                }
            }
        }
        let top = try await BerthBinary.run(["--help"])
        for code in ["0 success", "1 invalid manifest", "2 usage error", "3 no berth daemon", "4 a daemon"] {
            #expect(top.stdout.contains(code), "top-level help lists exit code \(code)")
        }
        let demo = try await BerthBinary.run(["demo", "--help"])
        #expect(demo.stdout.contains("  berth demo\n") && !demo.stdout.contains("swift run"))
    }

    /// `--env-file` on `berth diff` replaces the daemon's env files (docs/cli-daemon.md); its help says so, and
    /// only its help: every other command keeps the shared line.
    @Test func diffsEnvFileHelpSaysItOverridesTheDaemonsEnvFiles() async throws {
        func envFileHelp(_ command: String) async throws -> String {
            let help = try await BerthBinary.run([command, "--help"])
            let words = help.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
            guard let options = words.range(of: "OPTIONS:")?.upperBound,
                  let start = words[options...].range(of: "--env-file <file> ")?.upperBound else { return "" }
            return String(words[start...].prefix { $0 != "." })
        }
        let diff = try await envFileHelp("diff")
        #expect(diff.contains("instead of the daemon's env files and environment"), "\(diff)")
        for command in ["up", "validate"] {
            let shared = try await envFileHelp(command)
            #expect(shared.hasPrefix("A dotenv file of KEY=VALUE lines for ${VAR}; repeat"), "\(command): \(shared)")
            #expect(!shared.contains("daemon"), "\(command): \(shared)")
        }
    }

    @Test func withoutADaemonStatusSaysSoOnStderrOrAsTheDocumentAsked() async throws {
        let directory = try TemporaryDirectory()
        let environment = ["HOME": directory.url.path, "XDG_RUNTIME_DIR": directory.url.path]
        let plain = try await BerthBinary.run(["status", "-w"], environment: environment, in: directory.url)
        #expect(plain.status == 3)
        #expect(plain.stdout.isEmpty)
        #expect(plain.stderr == "error: no berth daemon is running for forwards.yaml\n")
        let yaml = try await BerthBinary.run(["status", "-o", "yaml"], environment: environment, in: directory.url)
        #expect(yaml.status == 3)
        #expect(yaml.stdout.contains("running: false\n") && yaml.stdout.contains("manifests:"), "\(yaml.stdout)")
        let json = try await BerthBinary.run(["status", "-o", "json"], environment: environment, in: directory.url)
        #expect(json.stdout.contains("\"running\" : false"))
        for format in ["text", "table", "wide"] {
            let run = try await BerthBinary.run(["status", "-o", format], environment: environment, in: directory.url)
            #expect(run.status == 3, "-o \(format) is a known format: \(run.stderr)")
        }
    }

    @Test func validateSpeaksYAMLAndTheSameFormatNames() async throws {
        let file = "Tests/BerthManifestTests/Fixtures/bad/two-targets.yaml"
        let yaml = try await BerthBinary.run(["validate", "-o", "yaml", file])
        #expect(yaml.status == 1)
        #expect(yaml.stdout.hasPrefix("- file: ") && yaml.stdout.contains("\n  column: 5\n") && yaml.stdout.contains("\n  path: forwards[0].pod\n"), "\(yaml.stdout)")
        let text = try await BerthBinary.run(["validate", "-o", "table", file])
        #expect(text.status == 1 && text.stderr.contains(": error: "))
    }

    @Test func noKubeconfigIsSaidWithWhereBerthLooked() async throws {
        let home = try TemporaryDirectory()
        let run = try await BerthBinary.run(["forward", "svc/web", "8080:80"], environment: ["HOME": home.url.path])
        #expect(run.status == 1)
        #expect(run.stderr == "error: no kubeconfig found (looked at \(home.url.path)/.kube/config); pass --kubeconfig or set KUBECONFIG\n")
    }
}
