// Failures inside an upgraded port-forward connection that are not SPDY codec errors (those are
// `SPDYError`). They never leave the connection that hit them: the handler that catches one closes that
// session (as a kubelet would) and logs it.

/// Why FakeKube ended a port-forward session, named after the step that failed.
enum PortForwardProtocolError: Error, Equatable, CustomStringConvertible {
    /// The WebSocket peer sent a frame kind the protocol does not allow here (text in the SPDY tunnel).
    case webSocketFrameUnexpected(opcode: String)

    var description: String {
        switch self {
        case .webSocketFrameUnexpected(let opcode): "unexpected WebSocket \(opcode) frame in a port-forward tunnel"
        }
    }
}
