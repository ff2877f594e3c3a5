/// One problem found in a manifest or env file, with where it is and what to do about it.
///
/// Its `description` is the compiler-style line `FILE:LINE:COLUMN: error: MESSAGE` that editors
/// and CI logs turn into links.
public struct ManifestError: Error, Hashable, Sendable {
    /// The step of loading that failed; lets callers react without parsing messages.
    public enum Kind: String, Hashable, Sendable {
        /// The file could not be read (missing, permissions, not UTF-8).
        case readFailed
        /// The YAML itself is malformed.
        case yamlSyntax
        /// A line of an env file is malformed.
        case envFileSyntax
        /// A field the manifest format does not know.
        case unknownField
        /// A required field is absent.
        case missingField
        /// A value has the wrong YAML type (string where a number belongs, …).
        case typeMismatch
        /// A value has the right type but breaks a rule (range, name syntax, …).
        case invalidValue
        /// A value names something berth does not support (e.g. another `apiVersion`).
        case unsupported
        /// `${VAR}` syntax is wrong, or the variable is unset and has no default.
        case variable
        /// Two forwards share a name in one file.
        case duplicateName
        /// Two enabled forwards listen on the same address and port.
        case portConflict
    }

    /// The step that failed.
    public var kind: Kind
    /// The file as it was named to the loader.
    public var file: String
    /// 1-based line; 0 when the error concerns the whole file.
    public var line: Int
    /// 1-based column; 0 when the error concerns the whole file.
    public var column: Int
    /// Field path, e.g. `forwards[1].ports[0].remote`; empty when the error is not about one field.
    public var path: String
    /// What is wrong and, where possible, how to fix it.
    public var message: String

    /// Creates an error.
    public init(_ kind: Kind, file: String, line: Int, column: Int, path: String, message: String) {
        self.kind = kind
        self.file = file
        self.line = line
        self.column = column
        self.path = path
        self.message = message
    }

    /// Creates an error at a source location.
    public init(_ kind: Kind, at location: SourceLocation, _ message: String) {
        self.init(kind, file: location.file, line: location.line, column: location.column,
                  path: location.path, message: message)
    }
}

extension ManifestError: CustomStringConvertible {
    /// `FILE:LINE:COLUMN: error: MESSAGE`, or `FILE: error: MESSAGE` for whole-file errors.
    public var description: String {
        line > 0 ? "\(file):\(line):\(column): error: \(message)" : "\(file): error: \(message)"
    }
}

/// Every problem found in one load, in file order; loading never stops at the first error.
public struct ManifestErrors: Error, Hashable, Sendable {
    /// The errors, sorted by file (in load order), line and column.
    public var errors: [ManifestError]

    /// Creates the collection.
    public init(_ errors: [ManifestError]) {
        self.errors = errors
    }

    /// `true` when a file could not be read at all: a usage problem rather than an invalid manifest.
    public var isReadFailure: Bool { errors.contains { $0.kind == .readFailed } }
}

extension ManifestErrors: CustomStringConvertible {
    /// One `FILE:LINE:COLUMN: error: MESSAGE` line per error.
    public var description: String { errors.map(\.description).joined(separator: "\n") }
}
