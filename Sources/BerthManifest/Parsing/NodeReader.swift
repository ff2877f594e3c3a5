import Yams

/// Walks a YAML node tree with typed accessors that record errors instead of throwing,
/// so one pass reports every problem in the file.
///
/// Scalars are typed here rather than by Yams' YAML 1.1 resolver: a plain `yes` stays a string,
/// a quoted `"8080"` is text, and a templated value (`${PORT:-8080}`) is typed after substitution.
struct NodeReader {
    let file: String
    let variables: [String: String]
    private(set) var errors: [ManifestError] = []

    init(file: String, variables: [String: String]) {
        self.file = file
        self.variables = variables
    }

    // MARK: Errors and locations

    func location(_ node: Node?, _ path: String) -> SourceLocation {
        let mark = node?.mark
        return SourceLocation(file: file, line: mark?.line ?? 1, column: mark?.column ?? 1, path: path)
    }

    mutating func fail(_ kind: ManifestError.Kind, _ node: Node?, _ path: String, _ message: String) {
        errors.append(ManifestError(kind, at: location(node, path), message))
    }

    mutating func fail(_ kind: ManifestError.Kind, at location: SourceLocation, _ message: String) {
        errors.append(ManifestError(kind, at: location, message))
    }

    // MARK: Collections

    /// The entries of a mapping with string keys; unknown keys are reported with a suggestion.
    /// With `extensions`, keys starting with `x-` are accepted and skipped: a place for YAML anchors.
    mutating func mapping(_ node: Node, _ path: String, fields: [String]?, what: String, extensions: Bool = false) -> [(key: String, keyNode: Node, value: Node)]? {
        guard case .mapping(let mapping) = node else {
            fail(.typeMismatch, node, path, "expected \(what) (a mapping of fields), found \(describe(node))")
            return nil
        }
        var entries: [(key: String, keyNode: Node, value: Node)] = []
        for (keyNode, value) in mergingKeys(mapping, path) {
            guard case .scalar(let key) = keyNode else {
                fail(.typeMismatch, keyNode, path, "field names must be plain strings, found \(describe(keyNode))")
                continue
            }
            if extensions, key.string.hasPrefix("x-") { continue }
            if let fields, !fields.contains(key.string) {
                let childPath = join(path, key.string)
                var message = "unknown field '\(key.string)'"
                if let close = Suggestion.closest(to: key.string, among: fields) {
                    message += " (did you mean '\(close)'?)"
                } else {
                    message += "; known fields here: " + fields.joined(separator: ", ")
                }
                fail(.unknownField, keyNode, childPath, message)
                continue
            }
            entries.append((key.string, keyNode, value))
        }
        return entries
    }

    /// Applies YAML merge keys (`<<: *base`, `<<: [*a, *b]`): fields written in the mapping win,
    /// then earlier merged mappings win over later ones, as in YAML 1.1 and PyYAML.
    private mutating func mergingKeys(_ mapping: Node.Mapping, _ path: String) -> [(Node, Node)] {
        var explicit: [(Node, Node)] = []
        var merged: [(Node, Node)] = []
        for (keyNode, value) in mapping {
            guard case .scalar(let key) = keyNode, key.string == "<<", key.style == .plain else {
                explicit.append((keyNode, value))
                continue
            }
            let sources: [Node]
            switch value {
            case .mapping: sources = [value]
            case .sequence(let list): sources = Array(list)
            default: sources = []
            }
            for source in sources {
                guard case .mapping(let fields) = source else {
                    fail(.typeMismatch, source, path, "a merge key (<<) takes a mapping or a list of mappings, found \(describe(source))")
                    continue
                }
                merged += Array(fields).map { ($0.key, $0.value) }
            }
            if sources.isEmpty {
                fail(.typeMismatch, value, path, "a merge key (<<) takes a mapping or a list of mappings, found \(describe(value))")
            }
        }
        var seen = Set(explicit.compactMap { $0.0.scalar?.string })
        for (keyNode, value) in merged {
            guard let key = keyNode.scalar?.string, !seen.contains(key) else { continue }
            seen.insert(key)
            explicit.append((keyNode, value))
        }
        return explicit
    }

    mutating func sequence(_ node: Node, _ path: String, what: String) -> [Node]? {
        guard case .sequence(let sequence) = node else {
            fail(.typeMismatch, node, path, "expected \(what) (a list), found \(describe(node))")
            return nil
        }
        return Array(sequence)
    }

    // MARK: Scalars

    /// A scalar after `${}` substitution, with enough of its origin to type it.
    struct Scalar {
        var text: String
        /// Plain (unquoted) or produced by substitution: typed by its text.
        var typedByText: Bool
    }

    mutating func scalar(_ node: Node, _ path: String, what: String) -> Scalar? {
        guard case .scalar(let scalar) = node else {
            fail(.typeMismatch, node, path, "expected \(what), found \(describe(node))")
            return nil
        }
        let plain = scalar.style == .plain
        guard Substitution.isTemplated(scalar.string) else {
            return Scalar(text: scalar.string, typedByText: plain)
        }
        switch Substitution.expand(scalar.string, variables: variables) {
        case .expanded(let text):
            return Scalar(text: text, typedByText: true)
        case .failed(let problems):
            for problem in problems { fail(.variable, node, path, problem.message) }
            return nil
        }
    }

    /// Free text; a plain scalar that YAML would read as a number, boolean or null is refused,
    /// as the JSON Schema refuses it.
    mutating func string(_ node: Node, _ path: String, what: String = "a string") -> Located<String>? {
        guard let scalar = scalar(node, path, what: what) else { return nil }
        if case .scalar(let raw) = node, raw.style == .plain, !Substitution.isTemplated(raw.string) {
            let type = ScalarType(plainText: scalar.text)
            guard type == .string else {
                fail(.typeMismatch, node, path, "expected \(what), found \(type.phrase) \(scalar.text); quote it if you mean the text")
                return nil
            }
        }
        return Located(value: scalar.text, location: location(node, path))
    }

    mutating func integer(_ node: Node, _ path: String, what: String = "an integer") -> Located<Int>? {
        guard let scalar = scalar(node, path, what: what) else { return nil }
        guard scalar.typedByText, ScalarType(plainText: scalar.text) == .integer, let value = Int(scalar.text) else {
            fail(.typeMismatch, node, path, "expected \(what), found \(describe(node, text: scalar))")
            return nil
        }
        return Located(value: value, location: location(node, path))
    }

    mutating func boolean(_ node: Node, _ path: String) -> Located<Bool>? {
        guard let scalar = scalar(node, path, what: "true or false") else { return nil }
        guard scalar.typedByText, ScalarType(plainText: scalar.text) == .boolean else {
            fail(.typeMismatch, node, path, "expected true or false, found \(describe(node, text: scalar))")
            return nil
        }
        return Located(value: scalar.text.lowercased() == "true", location: location(node, path))
    }

    mutating func duration(_ node: Node, _ path: String) -> Located<Duration>? {
        guard let scalar = scalar(node, path, what: DurationSyntax.explanation) else { return nil }
        if let value = DurationSyntax.parse(scalar.text) {
            return Located(value: value, location: location(node, path))
        }
        if scalar.typedByText, ScalarType(plainText: scalar.text) == .integer {
            fail(.typeMismatch, node, path, "expected \(DurationSyntax.explanation), found the number \(scalar.text); add a unit, e.g. \(scalar.text)s")
        } else {
            fail(.invalidValue, node, path, "expected \(DurationSyntax.explanation), found \(describe(node, text: scalar))")
        }
        return nil
    }

    // MARK: Descriptions

    func describe(_ node: Node) -> String {
        switch node {
        case .mapping: "a mapping"
        case .sequence: "a list"
        case .alias: "an alias"
        case .scalar(let scalar):
            describe(node, text: Scalar(text: scalar.string, typedByText: scalar.style == .plain))
        }
    }

    private func describe(_ node: Node, text scalar: Scalar) -> String {
        guard scalar.typedByText else { return "the string \"\(scalar.text)\"" }
        let type = ScalarType(plainText: scalar.text)
        return type == .null ? "nothing (null)" : type == .string ? "'\(scalar.text)'" : "\(type.phrase) \(scalar.text)"
    }

    func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }
}

/// The type YAML 1.2's core schema gives a plain scalar.
enum ScalarType {
    case null, boolean, integer, float, string

    init(plainText text: String) {
        switch text {
        case "", "~", "null", "Null", "NULL": self = .null
        case "true", "True", "TRUE", "false", "False", "FALSE": self = .boolean
        default:
            let digits = text.first == "-" || text.first == "+" ? text.dropFirst() : Substring(text)
            if !digits.isEmpty, digits.allSatisfy(\.isASCIIDigit) {
                self = .integer
            } else if Double(text) != nil, text.contains(where: \.isASCIIDigit) {
                self = .float
            } else {
                self = .string
            }
        }
    }

    var phrase: String {
        switch self {
        case .null: "null"
        case .boolean: "the boolean"
        case .integer: "the number"
        case .float: "the number"
        case .string: "the string"
        }
    }
}
