/// An IPv4 or IPv6 address, parsed from its text and written back in one spelling (docs/architecture.md,
/// "Hosts and ports"): the one reading of an IP literal every part of berth shares.
public struct IPAddress: Hashable, Sendable, CustomStringConvertible {
    /// The address family.
    public enum Family: Sendable, Hashable {
        /// Four bytes.
        case v4
        /// Sixteen bytes.
        case v6
    }

    /// The address in network order: 4 bytes for IPv4, 16 for IPv6.
    public let bytes: [UInt8]
    /// An IPv6 zone (`eth0` of `fe80::1%eth0`); nil for IPv4 and for IPv6 without one.
    public let zone: String?

    /// An address from its bytes; nil unless there are 4 or 16 of them, or when a zone is given to IPv4.
    public init?(bytes: [UInt8], zone: String? = nil) {
        guard bytes.count == 4 && zone == nil || bytes.count == 16 else { return nil }
        self.bytes = bytes
        self.zone = zone
    }

    /// Parses a dotted quad (`10.0.0.1`; a leading zero is refused, as some resolvers read it as octal) or an
    /// IPv6 literal without brackets (`::1`, `2001:db8::7`, `::ffff:10.0.0.1`, `fe80::1%eth0`); nil for
    /// anything else, names included.
    public init?(_ text: some StringProtocol) {
        let text = Substring(text)
        if let bytes = Self.parseIPv4(text) {
            self.init(bytes: bytes)
            return
        }
        var literal = text
        var zone: String?
        if let percent = text.firstIndex(of: "%") {
            let name = text[text.index(after: percent)...]
            guard !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }) else {
                return nil
            }
            zone = String(name)
            literal = text[..<percent]
        }
        guard let bytes = Self.parseIPv6(literal) else { return nil }
        self.init(bytes: bytes, zone: zone)
    }

    /// The family, from the number of bytes.
    public var family: Family { bytes.count == 4 ? .v4 : .v6 }

    /// The IPv4 address inside an IPv4-mapped IPv6 one (`::ffff:10.0.0.1`), nil for any other.
    public var ipv4Mapped: IPAddress? {
        guard bytes.count == 16, bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xFF, bytes[11] == 0xFF else {
            return nil
        }
        return IPAddress(bytes: Array(bytes[12...]))
    }

    /// 127.0.0.0/8, `::1`, or 127.0.0.0/8 mapped into IPv6: this machine.
    public var isLoopback: Bool {
        if let mapped = ipv4Mapped { return mapped.isLoopback }
        return bytes.count == 4 ? bytes[0] == 127 : bytes == [UInt8](repeating: 0, count: 15) + [1]
    }

    /// `0.0.0.0` or `::`: every address of this machine, when bound.
    public var isUnspecified: Bool { bytes.allSatisfy { $0 == 0 } }

    /// The text of the address: dotted for IPv4, RFC 5952 for IPv6 (lower case, the longest run of zero
    /// groups as `::`, an IPv4-mapped address as `::ffff:a.b.c.d`), then `%zone`.
    public var description: String {
        guard bytes.count == 16 else { return Self.dotted(bytes[...]) }
        let text = ipv4Mapped.map { "::ffff:" + $0.description } ?? Self.formatIPv6(bytes)
        return zone.map { "\(text)%\($0)" } ?? text
    }

    private static func dotted(_ bytes: ArraySlice<UInt8>) -> String {
        bytes.map(String.init).joined(separator: ".")
    }

    private static func formatIPv6(_ bytes: [UInt8]) -> String {
        let groups = stride(from: 0, to: 16, by: 2).map { Int(bytes[$0]) << 8 | Int(bytes[$0 + 1]) }
        // The longest run of two or more zero groups, the first of equals.
        var best: Range<Int>?
        var start: Int?
        for index in 0...groups.count {
            if index < groups.count, groups[index] == 0 {
                if start == nil { start = index }
            } else if let first = start {
                if index - first >= 2, index - first > best?.count ?? 0 { best = first..<index }
                start = nil
            }
        }
        func hex(_ slice: ArraySlice<Int>) -> String { slice.map { String($0, radix: 16) }.joined(separator: ":") }
        guard let best else { return hex(groups[...]) }
        return hex(groups[..<best.lowerBound]) + "::" + hex(groups[best.upperBound...])
    }

    private static func parseIPv4(_ text: Substring) -> [UInt8]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var bytes: [UInt8] = []
        for part in parts {
            guard (1...3).contains(part.count), part.allSatisfy({ $0.isASCII && $0.isNumber }),
                part.count == 1 || part.first != "0", let value = UInt8(part)
            else { return nil }
            bytes.append(value)
        }
        return bytes
    }

    private static func parseIPv6(_ text: Substring) -> [UInt8]? {
        guard text.contains(":") else { return nil }
        let halves = text.split(separator: "::", omittingEmptySubsequences: false)
        guard halves.count <= 2, let head = parseGroups(halves[0], allowsIPv4Tail: halves.count == 1) else { return nil }
        guard halves.count == 2 else { return head.count == 16 ? head : nil }
        guard let tail = parseGroups(halves[1], allowsIPv4Tail: true), head.count + tail.count <= 14 else { return nil }
        return head + [UInt8](repeating: 0, count: 16 - head.count - tail.count) + tail
    }

    private static func parseGroups(_ text: Substring, allowsIPv4Tail: Bool) -> [UInt8]? {
        if text.isEmpty { return [] }
        let groups = text.split(separator: ":", omittingEmptySubsequences: false)
        var bytes: [UInt8] = []
        for (index, group) in groups.enumerated() {
            if index == groups.count - 1, allowsIPv4Tail, group.contains(".") {
                guard let ipv4 = parseIPv4(group) else { return nil }
                bytes += ipv4
                continue
            }
            guard (1...4).contains(group.count), group.allSatisfy(\.isHexDigit), let value = UInt16(group, radix: 16) else {
                return nil
            }
            bytes += [UInt8(value >> 8), UInt8(value & 0xFF)]
        }
        return bytes
    }
}
