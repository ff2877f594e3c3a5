/// The desired state: every forward of the merged manifest files, defaults applied.
public struct Manifest: Hashable, Sendable {
    /// All forwards, enabled and disabled, in the order they first appear across the files.
    public var forwards: [ForwardSpec]
    /// The defaults after merging every file's `defaults:` block over `ManifestDefaults.builtIn`.
    public var defaults: ManifestDefaults
    /// Where each forward was first declared, by forward name; lets callers point users at the file.
    public var origins: [String: SourceLocation]

    /// Creates a manifest.
    public init(forwards: [ForwardSpec], defaults: ManifestDefaults = .builtIn, origins: [String: SourceLocation] = [:]) {
        self.forwards = forwards
        self.defaults = defaults
        self.origins = origins
    }

    /// The forwards that should run.
    public var enabledForwards: [ForwardSpec] { forwards.filter(\.enabled) }

    /// The forward with this name, if any.
    public subscript(name: String) -> ForwardSpec? { forwards.first { $0.name == name } }
}

/// A position in a manifest or env file.
public struct SourceLocation: Hashable, Sendable {
    /// The file as it was named to the loader.
    public var file: String
    /// 1-based line.
    public var line: Int
    /// 1-based column, counted in Unicode scalars.
    public var column: Int
    /// Field path inside the document, e.g. `forwards[1].ports[0].remote`; empty for the document itself.
    public var path: String

    /// Creates a location.
    public init(file: String, line: Int, column: Int, path: String) {
        self.file = file
        self.line = line
        self.column = column
        self.path = path
    }
}
