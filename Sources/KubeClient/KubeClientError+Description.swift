extension KubeClientError: CustomStringConvertible {
    /// One line a user can act on; it names the request, file or user, never a credential.
    public var description: String {
        switch self {
        case .api(let status, let request, let retryAfter):
            var text = "\(request): \(status.code.map(String.init) ?? "?") \(status.reason ?? "")"
            if let message = status.message, !message.isEmpty { text += ": \(message)" }
            if let retryAfter { text += " (retry after \(retryAfter)s)" }
            return text
        case .transport(let request, let description):
            return "\(request): no answer from the API server: \(description)"
        case .decoding(let request, let description):
            return "\(request): answer did not decode: \(description)"
        case .kubeconfig(let file, let entry, let field, let message):
            // Whole-file problems and missing contexts say it all in the message; field paths only help inside
            // an entry (a cluster's certificate, a user's exec command).
            if field == "(path)" { return message }
            if entry == "(file)" || field == "context" || field == "current-context" { return "kubeconfig \(file): \(message)" }
            return "kubeconfig \(file): \(entry): field \(field): \(message)"
        case .credentials(let user, let message):
            return "credentials of user \"\(user)\": \(message)"
        }
    }
}
