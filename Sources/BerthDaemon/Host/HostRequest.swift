/// A request on the daemon's control socket, as `berth status|diff|down` send it.
public struct HostRequest: Codable, Sendable, Hashable {
    /// What the client asks for.
    public enum Command: String, Codable, Sendable {
        /// The status now (with live connection counters and the last probe results).
        case status
        /// The manifest the daemon runs, for `berth diff`.
        case diff
        /// Stop the daemon; the reply comes before it exits.
        case down
        /// Probe every Ready forward end to end at once, then reply with the status.
        case probe
    }

    /// What the client asks for.
    public var command: Command
    /// With `status`: answer only once the status generation is past this one (a long poll for `--watch`).
    public var after: UInt64?

    /// Creates a request.
    public init(_ command: Command, after: UInt64? = nil) {
        self.command = command
        self.after = after
    }
}

/// The daemon's answer to a ``HostRequest``.
public struct HostResponse: Codable, Sendable, Hashable {
    /// The status (for `status` and `probe`).
    public var status: DaemonStatus?
    /// The generation of `status`: pass it as ``HostRequest/after`` to wait for the next change.
    public var generation: UInt64?
    /// The forwards the daemon runs now, field by field (for `diff`).
    public var running: [ForwardDefinition]?
    /// True when the daemon accepted a `down` request and is stopping.
    public var stopping: Bool?
    /// The context its `berth up --context` named (for `diff`, which loads the files with it); nil when none.
    public var context: String?
    /// Its manifest files, absolute, in overlay order (for `diff`; the state file lists them sorted).
    public var manifests: [String]?
    /// Its `berth up --env-file` files, absolute, in order (for `diff`); nil from a daemon that does not say.
    public var envFiles: [String]?
    /// The variables of its environment that its manifest files refer to, with their values (for `diff`).
    public var variables: [String: String]?

    /// Creates a response.
    public init(
        status: DaemonStatus? = nil, generation: UInt64? = nil, running: [ForwardDefinition]? = nil, stopping: Bool? = nil,
        context: String? = nil, manifests: [String]? = nil, envFiles: [String]? = nil, variables: [String: String]? = nil
    ) {
        self.status = status
        self.generation = generation
        self.running = running
        self.stopping = stopping
        self.context = context
        self.manifests = manifests
        self.envFiles = envFiles
        self.variables = variables
    }
}

/// What a daemon loads its manifest files with besides the files themselves: `berth diff` loads them the same way,
/// unless the user names env files of their own (docs/cli-daemon.md, "berth diff").
public struct ManifestInputs: Sendable, Hashable {
    /// The context its `berth up --context` named; nil when none.
    public var context: String?
    /// Its manifest files, absolute, in overlay order; nil when the daemon did not say (an older berth).
    public var manifests: [String]?
    /// Its env files, absolute, in order; nil when the daemon did not say (an older berth).
    public var envFiles: [String]?
    /// The variables of its environment that the files refer to, with their values; nil when it did not say.
    public var variables: [String: String]?

    /// Creates the inputs.
    public init(context: String? = nil, manifests: [String]? = nil, envFiles: [String]? = nil, variables: [String: String]? = nil) {
        self.context = context
        self.manifests = manifests
        self.envFiles = envFiles
        self.variables = variables
    }
}
