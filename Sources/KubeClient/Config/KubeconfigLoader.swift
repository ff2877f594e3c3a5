import Foundation

/// Finds and merges kubeconfig files the way kubectl does (docs/kubeconfig.md, "Which kubeconfig is read"):
/// an explicit path, else every file of `KUBECONFIG`, else `~/.kube/config`.
public struct KubeconfigLoader: Sendable {
    /// `--kubeconfig`: only that file, and it must exist.
    public var explicitPath: String?
    /// The process environment (`KUBECONFIG`, `HOME`).
    public var environment: [String: String]

    /// Creates a loader.
    public init(explicitPath: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.explicitPath = explicitPath
        self.environment = environment
    }

    /// The candidate files in merge order; duplicates dropped. Missing files are filtered by `load`.
    public var candidatePaths: [String] {
        if let explicitPath, !explicitPath.isEmpty { return [absolute(explicitPath)] }
        if let list = environment["KUBECONFIG"], !list.isEmpty {
            var seen = Set<String>()
            return list.split(separator: ":").map { absolute(String($0)) }.filter { !$0.isEmpty && seen.insert($0).inserted }
        }
        return [defaultPath]
    }

    /// `~/.kube/config`.
    public var defaultPath: String {
        let home = environment["HOME"] ?? NSHomeDirectory()
        return (home as NSString).appendingPathComponent(".kube/config")
    }

    /// Whether any candidate file exists; when none does, a caller may try the in-cluster configuration.
    public var anyFileExists: Bool {
        candidatePaths.contains { FileManager.default.fileExists(atPath: $0) }
    }

    /// Reads and merges the files: the first file that defines an entry wins, entries are taken whole.
    public func load() throws -> Kubeconfig {
        var merged = Kubeconfig()
        for path in candidatePaths {
            guard FileManager.default.fileExists(atPath: path) else {
                if explicitPath != nil {
                    throw KubeClientError.kubeconfig(file: path, entry: "(file)", field: "(path)", message: "the kubeconfig \(path) does not exist")
                }
                continue
            }
            guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
                throw KubeClientError.kubeconfig(file: path, entry: "(file)", field: "(path)", message: "cannot read the file as UTF-8 text")
            }
            merged.merge(try Kubeconfig.parse(yaml: text, file: path))
        }
        return merged
    }

    private func absolute(_ path: String) -> String {
        YAMLEntryReader.resolve(path, against: FileManager.default.currentDirectoryPath)
    }
}

extension Kubeconfig {
    /// Adds a later file's entries: what is already defined stays, whole (kubectl's merge rule).
    public mutating func merge(_ later: Kubeconfig) {
        files += later.files
        if currentContext == nil { currentContext = later.currentContext }
        clusters.merge(later.clusters) { first, _ in first }
        users.merge(later.users) { first, _ in first }
        contexts.merge(later.contexts) { first, _ in first }
    }
}
