import Foundation
import Yams

/// Reads typed fields of one kubeconfig mapping and turns every mistake into a
/// `KubeClientError.kubeconfig` naming the file, the entry, the field and the line.
/// Values are never quoted in errors: any of them may be a secret.
struct YAMLEntryReader {
    let file: String
    let entry: String
    let mapping: Node.Mapping?
    /// Prefix for nested field names, e.g. `exec.`.
    let fieldPrefix: String
    /// Line of the mapping itself, for errors about missing fields.
    let line: Int?

    init(file: String, entry: String, node: Node?, fieldPrefix: String = "") throws {
        self.file = file
        self.entry = entry
        self.fieldPrefix = fieldPrefix
        self.line = node?.mark?.line
        if let node, !Self.isNull(node) {
            guard let mapping = node.mapping else {
                throw KubeClientError.kubeconfig(
                    file: file, entry: entry, field: fieldPrefix.isEmpty ? "(entry)" : String(fieldPrefix.dropLast()),
                    message: "line \(node.mark?.line ?? 0): expected a mapping")
            }
            self.mapping = mapping
        } else {
            self.mapping = nil
        }
    }

    static func isNull(_ node: Node) -> Bool {
        guard case .scalar(let scalar) = node else { return false }
        return scalar.style == .plain && ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    func node(_ key: String) -> Node? {
        guard let value = mapping?[key], !Self.isNull(value) else { return nil }
        return value
    }

    func error(_ key: String, _ message: String, at node: Node? = nil) -> KubeClientError {
        let where_ = (node?.mark?.line ?? line).map { "line \($0): " } ?? ""
        return .kubeconfig(file: file, entry: entry, field: fieldPrefix + key, message: where_ + message)
    }

    func string(_ key: String) throws -> String? {
        guard let value = node(key) else { return nil }
        guard case .scalar(let scalar) = value else { throw error(key, "expected a string", at: value) }
        return scalar.string
    }

    func requiredString(_ key: String) throws -> String {
        guard let value = try string(key), !value.isEmpty else { throw error(key, "is required") }
        return value
    }

    func bool(_ key: String) throws -> Bool {
        guard let value = node(key) else { return false }
        guard let flag = value.bool else { throw error(key, "expected true or false", at: value) }
        return flag
    }

    func strings(_ key: String) throws -> [String] {
        guard let value = node(key) else { return [] }
        guard let sequence = value.sequence else { throw error(key, "expected a list of strings", at: value) }
        return try sequence.map { item in
            guard case .scalar(let scalar) = item else { throw error(key, "expected a list of strings", at: item) }
            return scalar.string
        }
    }

    /// A `*-data` field: base64 of PEM bytes.
    func base64(_ key: String) throws -> [UInt8]? {
        guard let text = try string(key) else { return nil }
        let compact = text.filter { !$0.isWhitespace }
        guard let data = Data(base64Encoded: compact) else { throw error(key, "is not valid base64", at: node(key)) }
        return Array(data)
    }

    /// A path field, made absolute against the directory of the defining file (docs/kubeconfig.md, "Which kubeconfig
    /// is read").
    func path(_ key: String) throws -> String? {
        guard let value = try string(key), !value.isEmpty else { return nil }
        return Self.resolve(value, against: (file as NSString).deletingLastPathComponent)
    }

    static func resolve(_ path: String, against directory: String) -> String {
        if path.hasPrefix("/") { return path }
        if path == "~" || path.hasPrefix("~/") { return (path as NSString).expandingTildeInPath }
        return ((directory as NSString).appendingPathComponent(path) as NSString).standardizingPath
    }

    /// Each `{name: …, <key>: {…}}` item of a top-level list.
    func namedEntries(_ listKey: String, kind: String, bodyKey: String) throws -> [(name: String, body: Node?, line: Int?)] {
        guard let value = node(listKey) else { return [] }
        guard let sequence = value.sequence else { throw error(listKey, "expected a list", at: value) }
        return try sequence.enumerated().map { index, item in
            let itemReader = try YAMLEntryReader(file: file, entry: "\(listKey)[\(index)]", node: item)
            guard let name = try itemReader.string("name"), !name.isEmpty else {
                throw itemReader.error("name", "every \(kind) needs a name", at: item)
            }
            return (name, itemReader.node(bodyKey), item.mark?.line)
        }
    }
}
