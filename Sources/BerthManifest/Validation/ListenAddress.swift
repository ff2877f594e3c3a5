import HostPortSyntax

/// A parsed listen address, used to validate `address:` and to find forwards that would
/// fight over the same socket (also `berth import`'s, to disable a forward that would).
public enum ListenAddress: Hashable, Sendable {
    /// Four bytes.
    case ipv4([UInt8])
    /// Sixteen bytes.
    case ipv6([UInt8])
    /// 127.0.0.1 and ::1.
    case localhost

    /// Parses an IP literal by berth's one rule (docs/architecture.md, "Hosts and ports"; an IPv6 zone is
    /// refused: a listen address names no interface), or `localhost`.
    public init?(_ text: String) {
        if text.lowercased() == "localhost" {
            self = .localhost
        } else if let address = IPAddress(text), address.zone == nil {
            self = address.family == .v4 ? .ipv4(address.bytes) : .ipv6(address.bytes)
        } else {
            return nil
        }
    }

    /// Whether listeners on both addresses with the same port would collide: equal addresses,
    /// a wildcard against its family (`::` is dual-stack on Linux), or `localhost` against a loopback.
    public func overlaps(_ other: ListenAddress) -> Bool {
        if self == other { return true }
        for (a, b) in [(self, other), (other, self)] {
            if a.isIPv6Wildcard { return true }
            if a.isIPv4Wildcard, b.isIPv4Family { return true }
            if a == .localhost, b.isLoopback { return true }
        }
        return false
    }

    private var isIPv6Wildcard: Bool { self == .ipv6(Array(repeating: 0, count: 16)) }
    private var isIPv4Wildcard: Bool { self == .ipv4([0, 0, 0, 0]) }
    private var isIPv4Family: Bool {
        switch self {
        case .ipv4, .localhost: true
        case .ipv6: false
        }
    }
    /// 127.0.0.0/8, ::1 (also as IPv4-mapped `::ffff:127.x.y.z`) or `localhost`: the only addresses local
    /// names may point at.
    var isLoopback: Bool {
        switch self {
        case .ipv4(let bytes), .ipv6(let bytes): IPAddress(bytes: bytes)?.isLoopback == true
        case .localhost: true
        }
    }
}

extension Character {
    var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}

/// The rule for a listen address, shared by the manifest's `address:` and `berth forward --address`.
public enum ListenAddressRule {
    /// `text` in the form berth binds (lowercased), or nil when it is neither an IP literal nor `localhost`.
    public static func normalized(_ text: String) -> String? {
        ListenAddress(text) == nil ? nil : text.lowercased()
    }

    /// Why `text` is refused, and what to write instead.
    public static func refusal(_ text: String) -> String {
        "'\(text)' is not a listen address: use an IPv4 or IPv6 literal (127.0.0.1, ::1, 0.0.0.0) or localhost"
    }
}
