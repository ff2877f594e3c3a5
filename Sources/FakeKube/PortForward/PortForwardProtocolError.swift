// Failures inside an upgraded port-forward connection. They never leave the connection that hit them:
// the handler that catches one closes that session (as a kubelet would) and logs it.

/// Why FakeKube ended a port-forward session, named after the step that failed.
enum PortForwardProtocolError: Error, Equatable, CustomStringConvertible {
    /// zlib refused to set up or run the header deflater.
    case headerCompressionFailed(zlibCode: Int32)
    /// A SYN_STREAM/SYN_REPLY/HEADERS block did not inflate with the session's zlib stream.
    case headerDecompressionFailed(zlibCode: Int32)
    /// An inflated header block was not `count, (len, name, len, value)*`.
    case headerBlockMalformed(reason: String)
    /// A control frame's payload was shorter than its type requires.
    case controlFrameTruncated(type: UInt16, length: Int)
    /// The WebSocket peer sent a frame kind the protocol does not allow here (text in the SPDY tunnel).
    case webSocketFrameUnexpected(opcode: String)

    var description: String {
        switch self {
        case .headerCompressionFailed(let code): "SPDY header compression failed (zlib \(code))"
        case .headerDecompressionFailed(let code): "SPDY header block did not inflate (zlib \(code))"
        case .headerBlockMalformed(let reason): "SPDY header block malformed: \(reason)"
        case .controlFrameTruncated(let type, let length): "SPDY control frame type \(type) too short (\(length) bytes)"
        case .webSocketFrameUnexpected(let opcode): "unexpected WebSocket \(opcode) frame in a port-forward tunnel"
        }
    }
}
