import Crypto
import Foundation

/// The set of manifest files one daemon serves, identified independently of order and spelling.
///
/// Paths are made absolute and standardised, then sorted, so `-f a.yaml -f ./b.yaml` and
/// `-f b.yaml -f a.yaml` name the same daemon, its lock, state file and control socket.
public struct ManifestSet: Hashable, Sendable, Codable {
    /// Absolute, standardised, sorted, de-duplicated paths.
    public let paths: [String]

    /// Creates the set from paths as the user typed them.
    /// - Parameters:
    ///   - paths: manifest paths, relative ones resolved against `directory`.
    ///   - directory: the directory relative paths are relative to (the working directory by default).
    public init(paths: [String], relativeTo directory: String = FileManager.default.currentDirectoryPath) {
        let base = URL(fileURLWithPath: directory, isDirectory: true)
        let absolute = paths.map { URL(fileURLWithPath: $0, relativeTo: base).standardizedFileURL.path }
        self.paths = Array(Set(absolute)).sorted()
    }

    /// A short stable identifier: the first 16 hex digits of the SHA-256 of the sorted paths.
    public var id: String {
        let digest = SHA256.hash(data: Data(paths.joined(separator: "\n").utf8))
        return digest.prefix(8).map { byte in
            let hex = String(byte, radix: 16)
            return hex.count == 1 ? "0" + hex : hex
        }.joined()
    }
}
