import Foundation
import Testing

/// A kubeconfig that names a `certificate-authority`, `client-certificate` or `client-key` file that is not
/// there (issue 12): `berth forward` ends with one `error:` line naming the kubeconfig, its entry and the
/// missing path; `berth up` keeps running with the forward `Failed` for that reason, and runs it once the file
/// is there (docs/kubeconfig.md).
@Suite(.serialized, .timeLimit(.minutes(2)))
struct KubeconfigMissingFilesTests {
    /// FakeKube's kubeconfig with its CA, and user `admin`'s certificate and key, moved out to files under
    /// `certs/` (relative to the kubeconfig, as kubectl reads them) that are not written yet.
    private struct FileKubeconfig {
        let path: String
        let certs: String
        /// The PEM each file should hold, by file name.
        let contents: [String: Data]

        init(_ world: ProcessWorld) throws {
            var text = try String(contentsOfFile: world.kubeconfig, encoding: .utf8)
            var contents: [String: Data] = [:]
            for (field, file) in [("certificate-authority", "ca.crt"), ("client-certificate", "admin.crt"), ("client-key", "admin.key")] {
                // The first occurrence: the cluster's CA, and the admin user's certificate and key.
                let pattern = try Regex("\(field)-data: ([A-Za-z0-9+/=]+)")
                let match = try #require(text.firstMatch(of: pattern), "\(field)-data in FakeKube's kubeconfig")
                let base64 = try #require(match.output[1].substring)
                let decoded = try #require(Data(base64Encoded: String(base64)), "\(field)-data is base64")
                contents[file] = decoded
                text.replaceSubrange(match.range, with: "\(field): certs/\(file)")
            }
            self.contents = contents
            certs = world.directory + "/certs"
            path = try world.write("kubeconfig-files", text)
        }

        func write(_ file: String) throws {
            try FileManager.default.createDirectory(atPath: certs, withIntermediateDirectories: true)
            try contents[file]!.write(to: URL(fileURLWithPath: certs + "/" + file))
        }
    }

    @Test func forwardEndsWithAnErrorNamingTheKubeconfigEntryAndMissingFile() async throws {
        try await ProcessWorld.with(scenario: ProcessEndToEndTests.scenario) { world in
            let kubeconfig = try FileKubeconfig(world)
            let cases = [
                ("ca.crt", #"cluster "fake-kube": field certificate-authority"#),
                ("admin.crt", #"user "admin": field client-certificate"#),
                ("admin.key", #"user "admin": field client-key"#),
            ]
            for (missing, entry) in cases {
                let run = try await world.berth(
                    ["forward", "--kubeconfig", kubeconfig.path, "--context", "admin", "svc/web", ":http"], within: .seconds(15))
                let expected = "error: kubeconfig \(kubeconfig.path): \(entry): cannot read \(kubeconfig.certs)/\(missing): no such file\n"
                #expect(run.status == 1, "\(missing): \(run.stderr)")
                #expect(run.stdout.isEmpty, "\(missing): \(run.stdout)")
                #expect(run.stderr == expected, "\(missing)")
                try kubeconfig.write(missing)
            }
        }
    }

    @Test func upFailsTheForwardNamingTheMissingFileAndRunsItOnceTheFileIsThere() async throws {
        try await ProcessWorld.with(scenario: ProcessEndToEndTests.scenario) { world in
            let kubeconfig = try FileKubeconfig(world)
            try kubeconfig.write("admin.crt")
            let manifest = try world.writeWebManifest()
            let up = try world.startBerth(["up", "-f", manifest, "--kubeconfig", kubeconfig.path, "--context", "admin"])
            defer { up.stop() }
            for (missing, entry) in [("ca.crt", #"cluster "fake-kube": field certificate-authority"#), ("admin.key", #"user "admin": field client-key"#)] {
                let path = "\(kubeconfig.certs)/\(missing)"
                let failed = try await world.awaitStatus(manifest, "web Failed for \(missing)") {
                    ($0.forward("web")?["message"] as? String)?.contains(path) == true
                }
                #expect(failed.phase("web") == "Failed")
                #expect(failed.forward("web")?["reason"] as? String == "KubeconfigInvalid")
                let message = failed.forward("web")?["message"] as? String ?? ""
                #expect(message == "cannot use the kubeconfig: kubeconfig \(kubeconfig.path): \(entry): cannot read \(path): no such file")
                try kubeconfig.write(missing)
            }
            // The daemon retries a Failed forward with backoff, reading the kubeconfig again each time.
            try await world.awaitStatus(manifest, "web Ready once every file is there") { $0.phase("web") == "Ready" }
        }
    }
}
