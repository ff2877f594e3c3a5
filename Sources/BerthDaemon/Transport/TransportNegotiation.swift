import BerthManifest

/// Which transport to try next when a forward opens a session to a pod, and what each answer means
/// (docs/port-forward.md, "Choosing a transport"). A value without I/O: the connector reports how each
/// attempt ended and is told what to do next.
///
/// `auto` tries the SPDY session tunnelled in a WebSocket, then the SPDY upgrade, then one WebSocket per
/// connection, as kubectl falls back. An upgrade answered with another status than 101, or a 101 with
/// the wrong protocol, means "this way in is not served here": try the next one. 401, 403 and 404 are
/// refusals of the request itself (credentials, RBAC, no such pod) that another transport would not
/// change, so they are reported at once; so is a connection or TLS failure. A transport remembered for
/// the cluster is tried first; the others follow in the usual order.
struct TransportNegotiation: Hashable, Sendable {
    /// How one attempt ended, as far as choosing a transport cares.
    enum Outcome: Hashable, Sendable {
        /// The session (or the v4 WebSocket) is open.
        case connected
        /// The upgrade was answered with this HTTP status instead of 101.
        case rejected(code: Int)
        /// A 101 that switched to another protocol than the one asked for, or a malformed handshake.
        case wrongProtocol
        /// The API server could not be reached, TLS failed, or the connection ended without an answer.
        case unreachable
    }

    /// What the connector does next.
    enum Decision: Hashable, Sendable {
        /// Open a session (or stream) with this transport.
        case attempt(TransportChoice)
        /// This transport works: use it and remember it for the cluster.
        case chosen(TransportChoice)
        /// Report the last attempt's error as it is.
        case fail
    }

    /// `auto`'s order.
    static let fallbackOrder: [TransportChoice] = [.websocketSPDY, .spdy, .websocket]
    /// Answers that refuse the request itself, never retried with another transport.
    static let refusalCodes: Set<Int> = [401, 403, 404]

    /// The transports not yet tried, the one being tried first.
    private(set) var untried: [TransportChoice]
    /// Whether a failure may move on to the next transport (only under `auto`).
    let fallsBack: Bool

    /// Starts a negotiation for a forward's `transport` setting.
    /// - Parameter remembered: what worked last for this cluster, tried first under `auto`.
    init(choice: TransportChoice, remembered: TransportChoice? = nil) {
        if choice == .auto {
            let first = remembered.flatMap { Self.fallbackOrder.contains($0) ? $0 : nil }
            untried = (first.map { [$0] } ?? []) + Self.fallbackOrder.filter { $0 != first }
            fallsBack = true
        } else {
            untried = [choice]
            fallsBack = false
        }
    }

    /// The first transport to try.
    var start: Decision { untried.first.map(Decision.attempt) ?? .fail }

    /// The transport being tried now, if any.
    var current: TransportChoice? { untried.first }

    /// Records how the current attempt ended and says what to do next.
    mutating func next(after outcome: Outcome) -> Decision {
        guard let current = untried.first else { return .fail }
        switch outcome {
        case .connected:
            untried = [current]
            return .chosen(current)
        case .rejected(let code) where Self.refusalCodes.contains(code):
            untried = []
            return .fail
        case .rejected, .wrongProtocol:
            untried.removeFirst()
            guard fallsBack, let next = untried.first else {
                untried = []
                return .fail
            }
            return .attempt(next)
        case .unreachable:
            untried = []
            return .fail
        }
    }
}
