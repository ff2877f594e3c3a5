/// The secret the dashboard's page, event stream and actions require: 256 random bits as 64 hex digits,
/// new at every `berth up` (docs/dashboard.md, "Access").
public struct DashboardToken: Sendable, Hashable, CustomStringConvertible {
    /// The token as it appears in the URL and the state file.
    public let value: String

    /// A fresh token from the system's secure random source.
    public init() {
        var generator = SystemRandomNumberGenerator()
        value = (0..<4).map { _ in
            let word = String(generator.next() as UInt64, radix: 16)
            return String(repeating: "0", count: 16 - word.count) + word
        }.joined()
    }

    /// A given token (tests).
    public init(value: String) {
        self.value = value
    }

    /// Whether `candidate` is the token, compared in time independent of where they differ.
    public func matches(_ candidate: some StringProtocol) -> Bool {
        let expected = Array(value.utf8)
        let given = Array(candidate.utf8)
        guard expected.count == given.count else { return false }
        var difference: UInt8 = 0
        for index in expected.indices { difference |= expected[index] ^ given[index] }
        return difference == 0
    }

    /// Never the token itself: it must not reach logs.
    public var description: String { "DashboardToken(…)" }
}
