import Foundation
import NIOCore
import NIOPosix

/// Finds the daemon serving a manifest set, for `berth status|diff|down`, and tells the truth when none runs:
/// state left by a dead daemon is reported as not running, and removed.
///
/// A daemon serving exactly these files is found by name; otherwise one serving any of them is (started with
/// `-f forwards.yaml -f forwards.local.yaml`, found by a plain `berth status` from `forwards.yaml`), and when
/// several do, the finding lists them (docs/cli-daemon.md).
public struct DaemonLocator: Sendable {
    /// What the locator found.
    public enum Finding: Sendable {
        /// A live daemon: its published state and a client for its control socket.
        case running(DaemonState<DaemonStatus>, HostClient)
        /// No daemon serves these files. `cleaned` says what stale state was removed, if any.
        case notRunning(cleaned: String?)
        /// Several daemons serve one of these files (none serves exactly these): the user must say which.
        case ambiguous([DaemonState<DaemonStatus>])
    }

    /// The files that name the daemon.
    public let manifestSet: ManifestSet
    /// Where daemons publish their state.
    public let runtimeDirectory: RuntimeDirectory
    private let eventLoopGroup: any EventLoopGroup

    /// Creates a locator.
    public init(
        manifestSet: ManifestSet, runtimeDirectory: RuntimeDirectory = .standard(),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) {
        self.manifestSet = manifestSet
        self.runtimeDirectory = runtimeDirectory
        self.eventLoopGroup = eventLoopGroup
    }

    /// Reads and validates the state file; a dead owner's state and socket are removed.
    public func locate() -> Finding {
        let stateFile = StateFile<DaemonStatus>(path: runtimeDirectory.stateFilePath(for: manifestSet))
        var cleaned: String?
        switch stateFile.readValidated() {
        case .live(let state):
            return .running(state, HostClient(path: state.controlSocket, eventLoopGroup: eventLoopGroup))
        case .removedStale(let reason):
            removeStaleSocket()
            cleaned = reason
        case .absent:
            break
        }
        let serving = DaemonDirectory(runtimeDirectory: runtimeDirectory).serving(anyOf: manifestSet)
        switch serving.count {
        case 0: return .notRunning(cleaned: cleaned)
        case 1: return .running(serving[0], HostClient(path: serving[0].controlSocket, eventLoopGroup: eventLoopGroup))
        default: return .ambiguous(serving)
        }
    }

    private func removeStaleSocket() {
        let path = runtimeDirectory.controlSocketPath(for: manifestSet)
        if UnixSocketProbe.connect(path: path) == .refused { unlink(path) }
    }
}

/// Typed calls over a daemon's control socket.
public struct HostClient: Sendable {
    /// The control socket's path.
    public let path: String
    private let client: ControlClient

    /// A client for the socket at `path`.
    public init(path: String, eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.path = path
        client = ControlClient(path: path, eventLoopGroup: eventLoopGroup)
    }

    /// A status and its generation.
    public struct Snapshot: Sendable, Hashable {
        /// The daemon's status.
        public var status: DaemonStatus
        /// Pass it to ``HostClient/status(after:)`` to wait for the next change.
        public var generation: UInt64
    }

    /// The status now, and its generation; with `after`, waits (up to half a minute) for a newer one.
    /// - Throws: ``BerthDaemonError``: `daemonNotRunning` when the daemon is gone, `controlRequestFailed` when it
    ///   answered in a way berth cannot read.
    public func status(after generation: UInt64? = nil) async throws -> Snapshot {
        let response = try await client.call(HostRequest(.status, after: generation), expecting: HostResponse.self)
        return Snapshot(status: try require(response.status), generation: response.generation ?? 0)
    }

    /// Probes every Ready forward end to end, then returns the status with the results.
    public func probe() async throws -> DaemonStatus {
        try require(try await client.call(HostRequest(.probe), expecting: HostResponse.self).status)
    }

    /// The forwards the daemon runs, field by field.
    public func running() async throws -> [ForwardDefinition] {
        try await runningAndInputs().forwards
    }

    /// The forwards the daemon runs, and what it loads its files with besides them (its --context, env files and
    /// the variables of its environment the files use).
    public func runningAndInputs() async throws -> (forwards: [ForwardDefinition], inputs: ManifestInputs) {
        let response = try await client.call(HostRequest(.diff), expecting: HostResponse.self)
        let inputs = ManifestInputs(
            context: response.context, manifests: response.manifests, envFiles: response.envFiles, variables: response.variables)
        return (try require(response.running), inputs)
    }

    /// Asks the daemon to stop. A daemon that closes the connection (or its socket) while stopping counts as
    /// having agreed: it may be gone before its reply is flushed.
    public func down() async throws {
        try await client.callThatStops(HostRequest(.down))
    }

    private func require<T>(_ value: T?) throws(BerthDaemonError) -> T {
        guard let value else { throw .controlRequestFailed(socketPath: path, reason: "the daemon's reply lacks the expected field") }
        return value
    }
}
