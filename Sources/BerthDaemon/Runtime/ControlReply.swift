/// The control protocol's reply envelope: exactly one of `ok` (the handler's response) or `error`.
///
/// The envelope lets the server answer a request it could not decode without knowing the response type.
struct ControlReply<Response: Codable & Sendable>: Codable, Sendable {
    var ok: Response?
    var error: String?
}

/// Limits of the control protocol.
enum ControlProtocol {
    /// Requests and replies are single JSON lines no longer than this.
    static let maxLineLength = 4 * 1024 * 1024
}
