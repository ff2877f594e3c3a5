/// The `Status` object of every API error (docs/informers.md, "Errors: the Status object").
public struct Status: KubeResource, Hashable, Error {
    public static let apiGroup = ""
    public static let apiVersion = "v1"
    public static let resource = "status"
    public static let kind = "Status"
    public static let isNamespaced = false

    public struct Details: Codable, Sendable, Hashable {
        public struct Cause: Codable, Sendable, Hashable {
            public var reason: String?
            public var message: String?
            public var field: String?
        }
        public var name: String?
        public var group: String?
        public var kind: String?
        public var uid: String?
        public var causes: [Cause]?
        public var retryAfterSeconds: Int?
    }

    public var metadata: ObjectMeta
    public var status: String?
    public var message: String?
    public var reason: String?
    public var details: Details?
    public var code: Int?

    public init(
        status: String? = "Failure", message: String? = nil, reason: String? = nil, details: Details? = nil,
        code: Int? = nil
    ) {
        self.metadata = ObjectMeta()
        self.status = status
        self.message = message
        self.reason = reason
        self.details = details
        self.code = code
    }

    enum CodingKeys: String, CodingKey { case metadata, status, message, reason, details, code }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        metadata = try c.decodeIfPresent(ObjectMeta.self, forKey: .metadata) ?? ObjectMeta()
        status = try c.decodeIfPresent(String.self, forKey: .status)
        message = try c.decodeIfPresent(String.self, forKey: .message)
        reason = try c.decodeIfPresent(String.self, forKey: .reason)
        details = try c.decodeIfPresent(Details.self, forKey: .details)
        code = try c.decodeIfPresent(Int.self, forKey: .code)
    }

    /// 410 with reason `Expired` (or the pre-1.18 `Gone`).
    public var isExpired: Bool { code == 410 || reason == "Expired" || reason == "Gone" }
}
