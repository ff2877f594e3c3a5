#if canImport(Glibc)
import Glibc
#endif

/// What went wrong in the daemon's operating-system plumbing, named after the step that failed.
///
/// Each case carries the path (or namespace, or PID) involved and the system's own reason, so that a user
/// can act on the message without reading code.
public enum DaemonError: Error, Sendable, Equatable, CustomStringConvertible {
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

    /// A one-line explanation for logs and the CLI.
    public var description: String {
        switch self {
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
        }
    }

    static func reason(_ code: Int32) -> String {
        String(cString: strerror(code)) + " (errno \(code))"
    }
}
