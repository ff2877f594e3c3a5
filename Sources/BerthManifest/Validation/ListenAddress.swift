/// A parsed listen address, used to validate `address:` and to find forwards that would
/// fight over the same socket (also `berth import`'s, to disable a forward that would).
public enum ListenAddress: Hashable, Sendable {
    /// Four bytes.
    case ipv4([UInt8])
    /// Sixteen bytes.
    case ipv6([UInt8])
    /// 127.0.0.1 and ::1.
    case localhost

    /// Parses an IPv4 dotted quad, an IPv6 literal (with `::` and an optional trailing IPv4 part) or `localhost`.
    public init?(_ text: String) {
        if text.lowercased() == "localhost" {
            self = .localhost
        } else if let bytes = Self.parseIPv4(Substring(text)) {
            self = .ipv4(bytes)
        } else if let bytes = Self.parseIPv6(text) {
            self = .ipv6(bytes)
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
    /// 127.0.0.0/8, ::1 or `localhost`: the only addresses local names may point at.
    var isLoopback: Bool {
        switch self {
        case .ipv4(let bytes): bytes[0] == 127
        case .ipv6(let bytes): bytes == Array(repeating: 0, count: 15) + [1]
        case .localhost: true
        }
    }

    private static func parseIPv4(_ text: Substring) -> [UInt8]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var bytes: [UInt8] = []
        for part in parts {
            // Leading zeros are refused: some resolvers read them as octal.
            guard (1...3).contains(part.count), part.allSatisfy(\.isASCIIDigit),
                  part.count == 1 || part.first != "0", let value = UInt8(part) else { return nil }
            bytes.append(value)
        }
        return bytes
    }

    private static func parseIPv6(_ text: String) -> [UInt8]? {
        guard text.contains(":") else { return nil }
        let halves = text.components(separatedBy: "::")
        guard halves.count <= 2 else { return nil }
        guard let head = parseGroups(halves[0], allowIPv4Tail: halves.count == 1) else { return nil }
        let tail = halves.count == 2 ? parseGroups(halves[1], allowIPv4Tail: true) : []
        guard let tail else { return nil }
        let total = head.count + tail.count
        if halves.count == 2 {
            guard total <= 14 else { return nil }
            return head + Array(repeating: 0, count: 16 - total) + tail
        }
        return total == 16 ? head : nil
    }

    private static func parseGroups(_ text: String, allowIPv4Tail: Bool) -> [UInt8]? {
        if text.isEmpty { return [] }
        let groups = text.split(separator: ":", omittingEmptySubsequences: false)
        var bytes: [UInt8] = []
        for (index, group) in groups.enumerated() {
            if index == groups.count - 1, allowIPv4Tail, group.contains(".") {
                guard let ipv4 = parseIPv4(group) else { return nil }
                bytes += ipv4
                continue
            }
            guard (1...4).contains(group.count), let value = UInt16(group, radix: 16) else { return nil }
            bytes += [UInt8(value >> 8), UInt8(value & 0xFF)]
        }
        return bytes
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
