import BerthTestSupport
import FakeKube
import Foundation
import Testing

/// The `fake-kube serve` process: its ready line, a working kubeconfig, a clean stop on SIGTERM, and
/// errors that name the file.
@Suite struct FakeKubeCommandTests {
    /// The `fake-kube` built next to this test binary, or nil.
    static var binary: String? {
        let directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [directory, directory.deletingLastPathComponent()] {
            let path = candidate.appendingPathComponent("fake-kube").path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }

    @Test(.enabled(if: Self.binary != nil, "needs the fake-kube executable built next to the tests (swift build --build-tests)"))
    func servePrintsReadyAndStopsOnSIGTERM() async throws {
        let binary = try #require(Self.binary)
        let scratch = try makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let kubeconfig = scratch.appendingPathComponent("out/kubeconfig").path
        let process = try ExternalProcess(
            binary, ["serve", "--scenario", ConformanceCluster.demoScenarioPath, "--kubeconfig-out", kubeconfig], home: scratch)
        var readyLine: String?
        for await line in process.lines {
            readyLine = line
            break
        }
        let words = try #require(readyLine).split(separator: " ").map(String.init)
        #expect(words.count == 3)
        #expect(words.first == "ready")
        #expect(words.dropFirst().first?.hasPrefix("https://127.0.0.1:") == true)
        #expect(words.last == kubeconfig)
        let attributes = try FileManager.default.attributesOfItem(atPath: kubeconfig)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        if let kubectl = ReferenceClients.kubectl("1.33") {
            let result = try await ExternalProcess.run(
                kubectl, ["--kubeconfig", kubeconfig, "--cache-dir", scratch.appendingPathComponent("cache").path, "get", "ns", "-o", "name"],
                home: scratch)
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout.contains("namespace/shop"))
        }
        process.terminate()
        let result = await process.wait(timeout: .seconds(20))
        #expect(result.status == 0, "\(result.stderr)")
    }

    @Test(.enabled(if: Self.binary != nil, "needs the fake-kube executable built next to the tests (swift build --build-tests)"))
    func aBadScenarioNamesTheFileAndField() async throws {
        let binary = try #require(Self.binary)
        let scratch = try makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let scenario = scratch.appendingPathComponent("bad.yaml")
        try "deployments:\n  - name: web\n    replicas: lots\n    containers: []\n".write(to: scenario, atomically: true, encoding: .utf8)
        let result = try await ExternalProcess.run(
            binary, ["serve", "--scenario", scenario.path, "--kubeconfig-out", scratch.appendingPathComponent("k").path],
            home: scratch, timeout: .seconds(20))
        #expect(result.status == 1)
        #expect(result.stderr.contains(scenario.path))
        #expect(result.stderr.contains("deployments[0].replicas"))
        #expect(result.stdout.isEmpty)
    }
}
