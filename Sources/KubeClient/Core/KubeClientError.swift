import KubeAPI

/// The one error type of KubeClient. Cases name the step that failed; none carries a credential.
public enum KubeClientError: Error, Sendable {
    /// The API server answered with an error `Status`. `request` is `VERB path` (no query secrets, no headers).
    case api(status: Status, request: String, retryAfterSeconds: Int?)
    /// No answer: connection refused or reset, TLS failure, timeout, proxy failure.
    case transport(request: String, description: String)
    /// An answer came but did not decode.
    case decoding(request: String, description: String)
    /// The kubeconfig (or in-cluster configuration) is unusable; names the file, entry and field.
    case kubeconfig(file: String, entry: String, field: String, message: String)
    /// A credential could not be obtained (exec plugin failure, unreadable token file, …).
    case credentials(user: String, message: String)

    /// The server said the resourceVersion or continue token is too old (410 Expired/Gone).
    public var isExpired: Bool {
        if case .api(let status, _, _) = self { return status.isExpired }
        return false
    }

    /// The HTTP status code when the server answered.
    public var statusCode: Int? {
        if case .api(let status, _, _) = self { return status.code }
        return nil
    }
}
