import Foundation

/// The loopback addresses a daemon's forwards were given, kept in the runtime directory beside the state
/// file (`<id>.addresses.json`) so that a forward gets the same address after a restart. Unlike the state
/// file it outlives the daemon: that is its point.
public struct AddressBook: Sendable {
    /// The file's path.
    public let path: String

    /// Every daemon's book ends in this.
    static let suffix = ".addresses.json"

    /// The book at `path`.
    public init(path: String) {
        self.path = path
    }

    /// The book of the daemon serving `manifests`.
    public init(runtimeDirectory: RuntimeDirectory, manifests: ManifestSet) {
        self.init(path: "\(runtimeDirectory.path)/\(manifests.id)\(Self.suffix)")
    }

    private struct Contents: Codable {
        var forwards: [String: String]
    }

    /// Forward name to address; empty when there is no book (or it cannot be read: it is only a memory).
    public func read() -> [String: String] {
        guard let data = FileManager.default.contents(atPath: path),
              let contents = try? JSONDecoder().decode(Contents.self, from: data) else { return [:] }
        return contents.forwards
    }

    /// Replaces the book (atomically).
    public func write(_ forwards: [String: String]) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(Contents(forwards: forwards)).write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    /// The addresses in the other books of the same directory: other daemons' forwards keep theirs.
    public func othersAddresses() -> Set<String> {
        let directory = (path as NSString).deletingLastPathComponent
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        var result = Set<String>()
        for name in names where name.hasSuffix(Self.suffix) && "\(directory)/\(name)" != path {
            result.formUnion(AddressBook(path: "\(directory)/\(name)").read().values)
        }
        return result
    }
}
