/// Why `berth demo` could not run, named after the step that failed.
enum DemoError: Error, Sendable, CustomStringConvertible {
    /// The embedded demo scenario did not parse (a build from a broken tree).
    case scenarioInvalid(reason: String)
    /// The in-process fake cluster did not start.
    case clusterStartFailed(reason: String)
    /// The temporary directory for the kubeconfig and manifest could not be prepared.
    case workspaceFailed(path: String, reason: String)
    /// The daemon stopped on an error of its own.
    case daemonFailed(reason: String)

    var description: String {
        switch self {
        case .scenarioInvalid(let reason):
            "the embedded demo scenario is invalid: \(reason)"
        case .clusterStartFailed(let reason):
            "cannot start the fake cluster: \(reason)"
        case .workspaceFailed(let path, let reason):
            "cannot prepare the demo's directory \(path): \(reason)"
        case .daemonFailed(let reason):
            "berth stopped: \(reason)"
        }
    }
}
