import Foundation

extension ManifestLoader {
    /// Reads the files, then loads them as `load(files:envFiles:environment:)` does.
    ///
    /// A file that cannot be read yields a `.readFailed` error (see `ManifestErrors.isReadFailure`)
    /// and nothing else is checked, since the rest would be judged without it.
    public static func load(
        paths: [String],
        envFilePaths: [String] = [],
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> Result<Manifest, ManifestErrors> {
        var failures: [ManifestError] = []
        func read(_ path: String) -> String? {
            do {
                let data = try Data(contentsOf: URL(fileURLWithPath: path))
                guard let text = String(data: data, encoding: .utf8) else {
                    failures.append(ManifestError(.readFailed, file: path, line: 0, column: 0, path: "", message: "cannot read the file: it is not UTF-8 text"))
                    return nil
                }
                return text
            } catch {
                failures.append(ManifestError(.readFailed, file: path, line: 0, column: 0, path: "", message: "cannot read the file: \(reason(error, path: path))"))
                return nil
            }
        }
        let envFiles = envFilePaths.compactMap { path in read(path).map { EnvFile(path: path, contents: $0) } }
        let files = paths.compactMap { path in read(path).map { ManifestFile(path: path, contents: $0) } }
        guard failures.isEmpty else { return .failure(ManifestErrors(failures)) }
        return load(files: files, envFiles: envFiles, environment: environment)
    }

    private static func reason(_ error: any Error, path: String) -> String {
        var isDirectory: ObjCBool = false
        if !FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) { return "no such file" }
        if isDirectory.boolValue { return "it is a directory" }
        if !FileManager.default.isReadableFile(atPath: path) { return "permission denied" }
        return (error as NSError).localizedDescription
    }
}
