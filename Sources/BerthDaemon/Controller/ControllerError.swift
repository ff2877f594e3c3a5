import BerthManifest

/// Failures of the controller side of the daemon (desired and observed state, listeners), named after the
/// step that failed. The OS plumbing (inotify, netlink, lock, state file) reports `DaemonError`.
public enum ControllerError: Error, Sendable, CustomStringConvertible {
    /// The manifest files are invalid at start-up; each error names its file, line and column.
    case manifestInvalid(ManifestErrors)
    /// The kubeconfig or context for a forward cannot be used.
    case clusterUnavailable(forward: String, context: String?, reason: String)
    /// A forward's listener could not be bound (port in use, permission, address).
    case listenFailed(forward: String, reason: String)
    /// A forward's cluster cache cannot be listed or watched (forbidden, unreachable).
    case observeFailed(forward: String, reason: String)

    public var description: String {
        switch self {
        case .manifestInvalid(let errors): errors.description
        case .clusterUnavailable(let forward, let context, let reason):
            "forward \(forward): cannot use context \(context ?? "(current)"): \(reason)"
        case .listenFailed(let forward, let reason): "forward \(forward): \(reason)"
        case .observeFailed(let forward, let reason): "forward \(forward): \(reason)"
        }
    }
}
