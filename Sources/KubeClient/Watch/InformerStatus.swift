/// What a reflector (and so its informer) is doing, for `berth status` and logs.
public enum InformerStatus: Sendable, CustomStringConvertible {
    /// Listing: the first list, or a relist after an error.
    case syncing
    /// The store holds a complete list and a watch keeps it current.
    case synced
    /// A request failed; the next attempt comes after `retryIn`. The store keeps its last contents.
    case backingOff(lastError: KubeClientError, retryIn: Duration)
    /// The informer's task has ended (its last lease was released, or its host shut down).
    case stopped

    /// One line for humans; no credential can appear since `KubeClientError` carries none.
    public var description: String {
        switch self {
        case .syncing: return "syncing"
        case .synced: return "synced"
        case .backingOff(let error, let retryIn): return "backing off (retry in \(retryIn)): \(error.summary)"
        case .stopped: return "stopped"
        }
    }
}

extension KubeClientError {
    /// A one-line account of the failure for status lines.
    var summary: String {
        switch self {
        case .api(let status, let request, _):
            let code = status.code.map(String.init) ?? "?"
            return "\(request): \(code) \(status.reason ?? "") \(status.message ?? "")"
        case .transport(let request, let description):
            return "\(request): \(description)"
        case .decoding(let request, let description):
            return "\(request): undecodable answer: \(description)"
        case .kubeconfig(let file, let entry, let field, let message):
            return "\(file) \(entry) \(field): \(message)"
        case .credentials(let user, let message):
            return "credentials of \(user): \(message)"
        }
    }
}
