import BerthManifest

/// One forward found in another tool's configuration, with where it came from.
public struct ImportedForward: Hashable, Sendable {
    /// The name the source suggests (an alias or the target's name); `ManifestWriter` makes it a unique
    /// DNS-1123 label.
    public var suggestedName: String
    /// kubeconfig context; `nil` keeps the kubeconfig's current context.
    public var context: String?
    /// Namespace of the target; `nil` keeps the context's.
    public var namespace: String?
    /// What the forward reaches.
    public var target: ForwardTarget
    /// Local-to-remote ports; never empty.
    public var ports: [PortMapping]
    /// Local listen address; `nil` keeps berth's default (127.0.0.1).
    public var address: String?
    /// Where the entry came from, one line: written as a comment above the forward.
    public var origin: String

    /// Creates an imported forward.
    public init(
        suggestedName: String, context: String? = nil, namespace: String? = nil, target: ForwardTarget,
        ports: [PortMapping], address: String? = nil, origin: String
    ) {
        self.suggestedName = suggestedName
        self.context = context
        self.namespace = namespace
        self.target = target
        self.ports = ports
        self.address = address
        self.origin = origin
    }
}

/// What an import found: the forwards berth can run, and one line for each thing it could not express.
public struct ImportResult: Sendable {
    /// The forwards, in the order of the source.
    public var forwards: [ImportedForward] = []
    /// Entries (or parts of entries) berth cannot express; `berth import` prints them on stderr so that
    /// nothing is dropped silently.
    public var notes: [String] = []

    /// An empty result.
    public init(forwards: [ImportedForward] = [], notes: [String] = []) {
        self.forwards = forwards
        self.notes = notes
    }

    /// Appends another result's forwards and notes.
    public mutating func append(_ other: ImportResult) {
        forwards += other.forwards
        notes += other.notes
    }
}
