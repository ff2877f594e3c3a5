#if canImport(Glibc)
import Glibc
#endif
import BerthManifest

/// Everything that can go wrong in berth's daemon, named after the step that failed.
///
/// Each case carries what a user needs to act without reading code: the address and port of a listener,
/// the forward and pod of a stream, the file and line of a manifest, the path and the system's own reason
/// of the operating-system plumbing.
public enum BerthDaemonError: Error, Sendable, Equatable, CustomStringConvertible {
    // MARK: Listeners and upstream streams (the data plane)

    /// Another socket already listens on this local address and port.
    case portInUse(address: String, port: Int)
    /// The process may not bind this port (a privileged port without the capability).
    case bindPermissionDenied(address: String, port: Int)
    /// The address is not assigned to any local interface.
    case addressUnavailable(address: String, port: Int)
    /// Binding failed for another reason; `reason` is the system's message.
    case bindFailed(address: String, port: Int, reason: String)
    /// Opening an upstream stream to the pod failed.
    case upstreamConnectFailed(forward: String, endpoint: UpstreamEndpoint, reason: String)
    /// The API server (or its proxy) could not be reached to open a stream: refused, reset, timed out. Waiting
    /// can fix it (a partition, a restarting API server), so the forward rebinds rather than fails.
    case apiServerUnreachable(forward: String, endpoint: UpstreamEndpoint, reason: String)
    /// The API server refused the stream (RBAC, credentials, the pod): retrying cannot help until something
    /// outside berth changes. `reason` is the status word (`Forbidden`, `Unauthorized`, `NotFound`) and
    /// `message` says what to grant or fix, with the API server's own message.
    case upstreamRefused(forward: String, endpoint: UpstreamEndpoint, reason: ForwardReason, message: String)
    /// A connector returned a stream whose channel lives on another event loop than the forward's.
    case upstreamOnWrongEventLoop(forward: String, endpoint: UpstreamEndpoint)
    /// The port-forward session pool was shut down (the daemon is stopping); no stream opens any more.
    case sessionPoolShutDown
    /// A forward's `run()` was called a second time; a forward's listener can be served only once.
    case forwardAlreadyRunning(forward: String)

    // MARK: Desired and observed state (the controller)

    /// The manifest files are invalid at start-up; each error names its file, line and column.
    case manifestInvalid(ManifestErrors)
    /// The kubeconfig or context for a forward cannot be used.
    case clusterUnavailable(forward: String, context: String?, reason: String)
    /// A forward's listener could not be bound (port in use, permission, address).
    case listenFailed(forward: String, reason: String)
    /// A forward's cluster cache cannot be listed or watched (forbidden, unreachable).
    case observeFailed(forward: String, reason: String)

    // MARK: Operating-system plumbing (files, network, lock, state file, control socket)

    /// `inotify_init1` failed (for example: the per-user instance limit is reached).
    case inotifyInitFailed(errno: Int32)
    /// A file or directory could not be watched.
    case watchAddFailed(path: String, errno: Int32)
    /// The rtnetlink socket could not be opened or bound.
    case netlinkSocketFailed(step: String, errno: Int32)
    /// The given network namespace could not be joined.
    case namespaceJoinFailed(path: String, errno: Int32)
    /// The pipe used to stop a reader thread could not be created (descriptor limit reached?).
    case wakePipeFailed(errno: Int32)
    /// The runtime directory could not be created or is not private to this user.
    case runtimeDirectoryUnusable(path: String, reason: String)
    /// The state file could not be written.
    case stateFileWriteFailed(path: String, reason: String)
    /// The state file exists but could not be read.
    case stateFileReadFailed(path: String, reason: String)
    /// The lock file could not be opened or locked.
    case lockFailed(path: String, errno: Int32)
    /// Another daemon holds the lock for this manifest set.
    case alreadyRunning(pid: Int32?, lockPath: String)
    /// A live daemon already listens on the control socket.
    case controlSocketInUse(path: String)
    /// Something that is not a socket sits where the control socket should go.
    case controlSocketPathOccupied(path: String)
    /// Binding the control socket failed.
    case controlSocketBindFailed(path: String, reason: String)
    /// No daemon listens on the control socket (none runs for these files).
    case daemonNotRunning(socketPath: String)
    /// A control request failed in transit or the daemon's reply could not be understood.
    case controlRequestFailed(socketPath: String, reason: String)
    /// The daemon understood the request and refused it.
    case controlRequestRejected(socketPath: String, message: String)
    /// A control message exceeded the line-length limit.
    case controlMessageTooLong(limit: Int)
    /// berth may not write the hosts file (not root): the forwards run, their names are not installed.
    case hostsFileNotWritable(path: String, reason: String)
    /// The hosts file could not be read or written, or its berth block is broken.
    case hostsFileFailed(path: String, reason: String)

    /// A one-line explanation for logs, status and the CLI: what failed, where, and the likely cause.
    public var description: String {
        switch self {
        case .portInUse(let address, let port):
            "cannot listen on \(address):\(port): the port is already in use by another process"
        case .bindPermissionDenied(let address, let port):
            "cannot listen on \(address):\(port): permission denied (ports below 1024 need privileges)"
        case .addressUnavailable(let address, let port):
            "cannot listen on \(address):\(port): the address is not assigned to this machine"
        case .bindFailed(let address, let port, let reason):
            "cannot listen on \(address):\(port): \(reason)"
        case .upstreamConnectFailed(let forward, let endpoint, let reason),
            .apiServerUnreachable(let forward, let endpoint, let reason):
            "forward \(forward): cannot open a stream to \(endpoint): \(reason)"
        case .upstreamRefused(let forward, let endpoint, _, let message):
            "forward \(forward): cannot open a stream to \(endpoint): \(message)"
        case .upstreamOnWrongEventLoop(let forward, let endpoint):
            "forward \(forward): the connector returned a stream to \(endpoint) on a foreign event loop"
        case .sessionPoolShutDown:
            "no port-forward stream opens: berth is shutting down"
        case .forwardAlreadyRunning(let forward):
            "forward \(forward) is already running"
        case .manifestInvalid(let errors): errors.description
        case .clusterUnavailable(let forward, let context, let reason):
            "forward \(forward): cannot use context \(context ?? "(current)"): \(reason)"
        case .listenFailed(let forward, let reason): "forward \(forward): \(reason)"
        case .observeFailed(let forward, let reason): "forward \(forward): \(reason)"
        case .inotifyInitFailed(let code):
            "cannot start watching files: inotify_init1: \(Self.reason(code))"
        case .watchAddFailed(let path, let code):
            "cannot watch \(path): \(Self.reason(code))"
        case .netlinkSocketFailed(let step, let code):
            "cannot listen for network changes: \(step): \(Self.reason(code))"
        case .namespaceJoinFailed(let path, let code):
            "cannot join network namespace \(path): \(Self.reason(code))"
        case .wakePipeFailed(let code):
            "cannot create a pipe: \(Self.reason(code))"
        case .runtimeDirectoryUnusable(let path, let reason):
            "runtime directory \(path) is unusable: \(reason)"
        case .stateFileWriteFailed(let path, let reason):
            "cannot write state file \(path): \(reason)"
        case .stateFileReadFailed(let path, let reason):
            "cannot read state file \(path): \(reason)"
        case .lockFailed(let path, let code):
            "cannot lock \(path): \(Self.reason(code))"
        case .alreadyRunning(let pid, let lockPath):
            if let pid {
                "another berth daemon (PID \(pid)) already serves these manifests (lock \(lockPath))"
            } else {
                "another berth daemon already serves these manifests (lock \(lockPath))"
            }
        case .controlSocketInUse(let path):
            "a running daemon already listens on \(path)"
        case .controlSocketPathOccupied(let path):
            "\(path) exists and is not a socket; remove it"
        case .controlSocketBindFailed(let path, let reason):
            "cannot listen on \(path): \(reason)"
        case .daemonNotRunning(let path):
            "no berth daemon is running for these manifests (no listener on \(path))"
        case .controlRequestFailed(let path, let reason):
            "request to the daemon at \(path) failed: \(reason)"
        case .controlRequestRejected(let path, let message):
            "the daemon at \(path) rejected the request: \(message)"
        case .controlMessageTooLong(let limit):
            "control message longer than \(limit) bytes"
        case .hostsFileNotWritable(let path, let reason):
            "cannot write \(path): \(reason)"
        case .hostsFileFailed(let path, let reason):
            "hosts file \(path): \(reason)"
        }
    }

    static func reason(_ code: Int32) -> String {
        String(cString: strerror(code)) + " (errno \(code))"
    }
}
