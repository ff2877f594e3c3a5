/// Why a forward cannot reach its pod right now: the latest attempt to open an upstream stream failed
/// (or the stream died as soon as it was open) and none has worked since. It feeds the forward's status,
/// so a user sees the API server's or the kubelet's own words rather than a bare "connection closed".
public struct UpstreamFailure: Sendable, Equatable, CustomStringConvertible {
    /// A status word: `Forbidden`, `Unauthorized` or `NotFound` when the API server refused the stream,
    /// `ClusterUnreachable` when it could not be reached at all, else `PortForwardFailed` (the kubelet's error
    /// for the pod port, a broken connection).
    public var reason: ForwardReason
    /// What failed and why, in words a user can act on.
    public var message: String

    /// Creates a failure from its status word and message.
    public init(reason: ForwardReason, message: String) {
        self.reason = reason
        self.message = message
    }

    /// The failure an upstream error stands for.
    init(_ error: any Error) {
        switch error {
        case BerthDaemonError.upstreamRefused(_, _, let reason, let message):
            self.init(reason: reason, message: message)
        case BerthDaemonError.upstreamConnectFailed(_, let endpoint, let reason):
            self.init(reason: .portForwardFailed, message: "cannot open a stream to \(endpoint): \(reason)")
        case BerthDaemonError.apiServerUnreachable(_, let endpoint, let reason):
            self.init(reason: .clusterUnreachable, message: "cannot open a stream to \(endpoint): \(reason)")
        default:
            self.init(reason: .portForwardFailed, message: "\(error)")
        }
    }

    public var description: String { "\(reason): \(message)" }
}
