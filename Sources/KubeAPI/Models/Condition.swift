/// A status condition (`type`, `status`, …) as every kind reports them; only the common fields are read.
public struct Condition: Codable, Sendable, Hashable {
    /// e.g. `Ready`, `Available`.
    public var type: String
    /// `"True"`, `"False"` or `"Unknown"`.
    public var status: String
    /// When the status last changed (RFC 3339).
    public var lastTransitionTime: String?
    /// A CamelCase machine reason.
    public var reason: String?
    /// A human message.
    public var message: String?

    /// Creates a condition.
    public init(type: String, status: String, lastTransitionTime: String? = nil, reason: String? = nil, message: String? = nil) {
        self.type = type
        self.status = status
        self.lastTransitionTime = lastTransitionTime
        self.reason = reason
        self.message = message
    }

    /// Whether `status` is `"True"`.
    public var isTrue: Bool { status == "True" }
}
