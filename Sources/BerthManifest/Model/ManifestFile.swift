/// A manifest file's name and contents; the loader never opens files itself.
public struct ManifestFile: Hashable, Sendable {
    /// The name used in errors, usually the path as the user typed it.
    public var path: String
    /// The YAML text.
    public var contents: String

    /// Creates a manifest file.
    public init(path: String, contents: String) {
        self.path = path
        self.contents = contents
    }
}

/// A dotenv-style file of `KEY=VALUE` lines that supplies `${VAR}` values.
public struct EnvFile: Hashable, Sendable {
    /// The name used in errors.
    public var path: String
    /// The file's text.
    public var contents: String

    /// Creates an env file.
    public init(path: String, contents: String) {
        self.path = path
        self.contents = contents
    }
}
