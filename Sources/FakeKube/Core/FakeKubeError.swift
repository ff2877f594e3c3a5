/// Everything that can go wrong in FakeKube, named after the step that failed.
public enum FakeKubeError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A `labelSelector`/`fieldSelector` query could not be parsed.
    case badSelector(selector: String, reason: String)
    /// The scenario file could not be read.
    case scenarioUnreadable(path: String, reason: String)
    /// The scenario file is not valid; `location` names the line/field.
    case scenarioInvalid(path: String, location: String, reason: String)
    /// The CA, serving or client certificate could not be generated or loaded into TLS.
    case certificateGenerationFailed(reason: String)
    /// The API server could not listen on the port.
    case apiServerBindFailed(port: Int, reason: String)
    /// A pod's container port could not get a local TCP server.
    case podServerBindFailed(pod: String, containerPort: Int, reason: String)
    /// The kubeconfig could not be written.
    case kubeconfigWriteFailed(path: String, reason: String)
    /// A Swift API call named an object that does not exist.
    case objectNotFound(resource: String, namespace: String, name: String)
    /// A Swift API call was made after `shutdown()`.
    case serverShutDown

    /// A message a user can act on.
    public var description: String {
        switch self {
        case .badSelector(let selector, let reason): "invalid selector \"\(selector)\": \(reason)"
        case .scenarioUnreadable(let path, let reason): "cannot read scenario \(path): \(reason)"
        case .scenarioInvalid(let path, let location, let reason): "\(path): \(location): \(reason)"
        case .certificateGenerationFailed(let reason): "cannot set up the fake cluster's TLS: \(reason)"
        case .apiServerBindFailed(let port, let reason): "cannot listen on 127.0.0.1:\(port): \(reason)"
        case .podServerBindFailed(let pod, let port, let reason):
            "cannot start the local server for pod \(pod) port \(port): \(reason)"
        case .kubeconfigWriteFailed(let path, let reason): "cannot write kubeconfig \(path): \(reason)"
        case .objectNotFound(let resource, let namespace, let name): "\(resource) \"\(name)\" not found in \(namespace)"
        case .serverShutDown: "the fake cluster has been shut down"
        }
    }
}
