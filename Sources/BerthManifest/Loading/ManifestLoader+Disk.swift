import Foundation

extension ManifestLoader {
    /// The largest manifest or env file berth reads (4 MiB; a thousand forwards take about 100 KB). A bigger
    /// file is refused before it is parsed, so a runaway file costs neither minutes nor gigabytes.
    public static let maximumFileSize = 4 << 20

    /// Reads the files, then loads them as `load(files:envFiles:environment:context:)` does.
    ///
    /// A file that cannot be read yields a `.readFailed` error (see `ManifestErrors.isReadFailure`)
    /// and nothing else is checked, since the rest would be judged without it.
    public static func load(
        paths: [String],
        envFilePaths: [String] = [],
        environment: [String: String] = ProcessInfo.processInfo.environment,
        context: String? = nil
    ) -> Result<Manifest, ManifestErrors> {
        var failures: [ManifestError] = []
        func read(_ path: String) -> String? {
            do {
                let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
                defer { try? handle.close() }
                let data = try handle.read(upToCount: maximumFileSize + 1) ?? Data()
                guard data.count <= maximumFileSize else {
                    failures.append(ManifestError(
                        .readFailed, file: path, line: 0, column: 0, path: "",
                        message: "cannot read the file: it is larger than \(maximumFileSize >> 20) MiB, the most berth reads"))
                    return nil
                }
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
        return load(files: files, envFiles: envFiles, environment: environment, context: context)
    }

    private static func reason(_ error: any Error, path: String) -> String {
        var isDirectory: ObjCBool = false
        if !FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) { return "no such file" }
        if isDirectory.boolValue { return "it is a directory" }
        if !FileManager.default.isReadableFile(atPath: path) { return "permission denied" }
        return (error as NSError).localizedDescription
    }
}
