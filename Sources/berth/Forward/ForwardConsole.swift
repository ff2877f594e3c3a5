import BerthDaemon
import BerthManifest
import HostPortSyntax

/// What `berth forward` says as its one forward changes, kubectl's way: `Forwarding from …` once bound,
/// each problem once, the recovery after it, and which problems end the command (docs/cli-forward.md).
struct ForwardConsole {
    /// Reasons waiting cannot fix (the port is taken, the kubeconfig is wrong, the target has no such port,
    /// access is denied): the command ends with exit 1 instead of retrying forever.
    static let fatalReasons: Set<ForwardReason> = [
        .portInUse, .permissionDenied, .addressUnavailable, .listenFailed, .kubeconfigInvalid,
        .servicePortNotFound, .namedPortNotFound, .forbidden, .unauthorized,
    ]

    /// Reasons that say nothing about whether the API server ever answered.
    private static let unanswered: Set<ForwardReason> = [.cacheSyncing, .clusterUnreachable]

    /// What to print and whether to stop.
    struct Reaction: Equatable {
        var stdout: [String] = []
        var stderr: [String] = []
        /// Set when the command must end: the `error:` message.
        var fatal: String?
    }

    let target: ForwardTarget
    /// Asks the cluster about a missing target (a near name, other namespaces), given the namespace.
    let hints: @Sendable (String) async -> TargetSuggestions.Hints?
    private var announced = false
    private var lost = false
    private var lastProblem: String?
    private var waitingSaid = false
    /// Whether the API server ever answered. One that cannot be reached at the start ends the command, as it ends
    /// kubectl port-forward; once it has answered, losing it is a flap to wait out (docs/cli-forward.md).
    private var clusterAnswered = false

    init(target: ForwardTarget, hints: @escaping @Sendable (String) async -> TargetSuggestions.Hints?) {
        self.target = target
        self.hints = hints
    }

    /// The reaction to one status of the forward.
    mutating func react(to forward: ForwardStatus) async -> Reaction {
        var reaction = Reaction()
        if forward.phase == .ready || forward.reason.map({ !Self.unanswered.contains($0) }) == true { clusterAnswered = true }
        switch forward.phase {
        case .ready where forward.ports.allSatisfy({ $0.localPort != nil }):
            if !announced {
                announced = true
                reaction.stdout = forward.ports.flatMap { port in
                    ([port.address] + (port.additionalAddresses ?? [])).map { "Forwarding from \(HostPort.format(host: $0, port: port.localPort ?? 0)) -> \(port.remote)" }
                }
            } else if lost {
                let ports = forward.ports.map { "\(HostPort.format(host: $0.address, port: $0.localPort ?? 0)) -> \($0.remote)" }.joined(separator: ", ")
                reaction.stdout = ["Forwarding again to pod \(forward.pod ?? "?") (\(ports))"]
            }
            lost = false
            lastProblem = nil
        case .ready, .disabled:
            break
        case .pending, .rebinding, .failed:
            guard let reason = forward.reason, reason != .cacheSyncing else { break }
            let message = forward.message ?? reason.rawValue
            if Self.fatalReasons.contains(reason) || (reason == .clusterUnreachable && !clusterAnswered) {
                reaction.fatal = message
                return reaction
            }
            if announced { lost = true }
            if reason == .notFound {
                guard !waitingSaid else { break }
                waitingSaid = true
                let hint = await hints(forward.namespace).map { $0.sentence(kind: target.kind, name: Self.name(of: target)) } ?? ""
                reaction.stderr = [message + hint, "waiting for \(target.kind) \(forward.namespace)/\(Self.name(of: target))"]
                lastProblem = reason.rawValue
                break
            }
            let line = "\(forward.phase.rawValue): \(message)"
            if line != lastProblem {
                lastProblem = line
                reaction.stderr = [line]
            }
        }
        return reaction
    }

    private static func name(of target: ForwardTarget) -> String {
        target.name ?? target.description
    }
}
