/// A host as berth reads it from text: an IP address, or a DNS name (docs/architecture.md, "Hosts and ports").
public enum NetworkHost: Hashable, Sendable, CustomStringConvertible {
    /// An IPv4 or IPv6 literal.
    case address(IPAddress)
    /// A DNS name, in lower case (names are compared without case).
    case name(String)

    /// Parses an IP literal (IPv6 bare or in brackets) or a DNS name.
    /// - Throws: ``HostPortError`` saying what is wrong (a port is refused: see ``HostPort/init(parsing:rules:)``).
    public init(parsing text: some StringProtocol) throws(HostPortError) {
        self = try HostPort(parsing: text, rules: HostPortRules(port: .forbidden)).host
    }

    /// Reads `text` as a host without brackets or port: an IP literal, else a DNS name; nil when it is neither.
    init?(literal text: Substring) {
        if let address = IPAddress(text) {
            self = .address(address)
        } else if Self.isDNSName(text) {
            self = .name(text.lowercased())
        } else {
            return nil
        }
    }

    /// Whether `text` is a DNS name (RFC 1123): at most 253 characters of dot-separated labels, each 1 to 63
    /// ASCII letters, digits or `-`, neither starting nor ending with `-`. Digits and dots alone are refused:
    /// that is an IPv4 address that did not parse (`10.0.0.256`), not a name.
    public static func isDNSName(_ text: some StringProtocol) -> Bool {
        let labels = text.split(separator: ".", omittingEmptySubsequences: false)
        guard text.utf8.count <= 253, !labels.allSatisfy({ $0.allSatisfy { $0.isASCII && $0.isNumber } }) else {
            return false
        }
        return labels.allSatisfy { label in
            guard let first = label.first, let last = label.last, label.utf8.count <= 63 else { return false }
            return first != "-" && last != "-"
                && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
        }
    }

    /// The IP address, nil for a name.
    public var address: IPAddress? {
        if case .address(let address) = self { address } else { nil }
    }

    /// The host without brackets: the name, or the address's text (`::1`).
    public var description: String {
        switch self {
        case .address(let address): address.description
        case .name(let name): name
        }
    }
}
