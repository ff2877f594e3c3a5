import Foundation
import Testing

@testable import BerthDaemon

/// The registry reuses its answer while the kubeconfig is unchanged; an edit must still be seen.
@Suite struct ClusterRegistryTests {
    private static func kubeconfig(current: String) -> Data {
        Data("""
            apiVersion: v1
            kind: Config
            current-context: \(current)
            clusters:
            - name: k
              cluster: {server: "http://127.0.0.1:1"}
            users:
            - name: u
              user: {token: not-a-secret}
            contexts:
            - name: ctx-a
              context: {cluster: k, user: u}
            - name: ctx-b
              context: {cluster: k, user: u}
            """.utf8)
    }

    /// Writes in place: same inode, and the same size for either context.
    private static func overwrite(_ file: URL, current: String) throws {
        let handle = try FileHandle(forWritingTo: file)
        try handle.write(contentsOf: kubeconfig(current: current))
        try handle.close()
    }

    private static func setModified(_ file: URL, _ date: Date) throws {
        try FileManager.default.setAttributes([.modificationDate: date], ofItemAtPath: file.path)
    }

    @Test func anUnchangedKubeconfigIsNotReadAgainAndAnEditIsSeen() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("berth-registry-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("config")
        try Self.kubeconfig(current: "ctx-a").write(to: file)
        let old = Date(timeIntervalSinceNow: -60)
        try Self.setModified(file, old)

        let clusters = ClusterRegistry(kubeconfig: file.path, context: nil, environment: [:], logger: quietLogger)
        #expect(try await clusters.cluster(context: nil).id == "ctx-a")
        #expect(try await clusters.cluster(context: "ctx-b").id == "ctx-b")

        // New content under the old stamp (same inode, size and time): the only way to see it was not read.
        try Self.overwrite(file, current: "ctx-b")
        try Self.setModified(file, old)
        #expect(try await clusters.cluster(context: nil).id == "ctx-a")

        // A real edit moves the time: read again.
        try Self.setModified(file, old.addingTimeInterval(1))
        #expect(try await clusters.cluster(context: nil).id == "ctx-b")

        // Saved the way editors do (renamed over): a new inode.
        try Self.kubeconfig(current: "ctx-a").write(to: file, options: .atomic)
        #expect(try await clusters.cluster(context: nil).id == "ctx-a")
        // Edited again at once, in place, maybe within the same file-time tick: too fresh to trust the stamp.
        try Self.overwrite(file, current: "ctx-b")
        #expect(try await clusters.cluster(context: nil).id == "ctx-b")
        await clusters.shutdown()
    }
}
