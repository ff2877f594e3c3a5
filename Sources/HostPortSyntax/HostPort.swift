/// A host and, where the text has one, a port: the one parser of `HOST:PORT`, `[IPV6]:PORT`, `[IPV6]`, a bare
/// host and `:PORT` in berth (docs/architecture.md, "Hosts and ports"), and its inverse, ``description``.
public struct HostPort: Hashable, Sendable, CustomStringConvertible {
    /// The host.
    public var host: NetworkHost
    /// The port, nil when the text had none.
    public var port: Int?

    /// A host and port.
    public init(host: NetworkHost, port: Int?) {
        self.host = host
        self.port = port
    }

    /// Parses `text` by one set of rules, `rules` saying only what the caller allows:
    ///
    /// - `HOST:PORT`, where HOST is an IPv4 address or a DNS name (``NetworkHost/isDNSName(_:)``);
    /// - `[IPV6]:PORT` and `[IPV6]` (an optional `%zone` inside the brackets);
    /// - `HOST` or `[IPV6]` alone, unless a port is ``HostPortRules/Port/required``;
    /// - an IPv6 literal without brackets (`fd00::7`) when a port is ``HostPortRules/Port/forbidden`` or the
    ///   caller allows ``HostPortRules/allowsBareIPv6``; otherwise its last group could be read as a port, so it
    ///   is refused with ``HostPortError/unbracketedIPv6``;
    /// - `:PORT` and `PORT` (digits alone) when the caller gives a ``HostPortRules/defaultHost``.
    ///
    /// A port is ASCII digits, 1 to 65535 (0 too when the caller allows ``HostPortRules/allowsAnyPort``).
    /// - Throws: ``HostPortError``; the caller words the message with its file, flag or field.
    public init(parsing text: some StringProtocol, rules: HostPortRules = HostPortRules()) throws(HostPortError) {
        let text = Substring(text)
        guard !text.isEmpty else { throw .empty }
        var host: NetworkHost?
        var portText: Substring?
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { throw .invalidBrackets }
            let inside = text[text.index(after: text.startIndex)..<close]
            guard let address = IPAddress(inside), address.family == .v6 else { throw .invalidBrackets }
            host = .address(address)
            let rest = text[text.index(after: close)...]
            if !rest.isEmpty {
                guard rest.hasPrefix(":") else { throw .invalidBrackets }
                portText = rest.dropFirst()
            }
        } else if let colon = text.firstIndex(of: ":") {
            if text[text.index(after: colon)...].contains(":") {
                // Two colons or more: an IPv6 literal, which is only unambiguous where no port may follow.
                if rules.port == .forbidden || rules.allowsBareIPv6, let address = IPAddress(text) {
                    host = .address(address)
                } else if IPAddress(text) != nil || text.lastIndex(of: ":").map({ IPAddress(text[..<$0]) != nil }) == true {
                    throw .unbracketedIPv6
                } else {
                    throw .invalidHost(String(text))
                }
            } else {
                portText = text[text.index(after: colon)...]
                let hostText = text[..<colon]
                if !hostText.isEmpty {
                    guard let parsed = NetworkHost(literal: hostText) else { throw .invalidHost(String(hostText)) }
                    host = parsed
                }
            }
        } else if rules.defaultHost != nil, text.allSatisfy({ $0.isASCII && $0.isNumber }) {
            portText = text
        } else {
            guard let parsed = NetworkHost(literal: text) else { throw .invalidHost(String(text)) }
            host = parsed
        }
        guard let host = host ?? rules.defaultHost else { throw .missingHost }
        var port: Int?
        if let portText {
            guard let number = Self.port(portText, allowsZero: rules.allowsAnyPort) else {
                throw .invalidPort(String(portText), allowsZero: rules.allowsAnyPort)
            }
            port = number
        }
        switch (rules.port, port) {
        case (.required, nil): throw .missingPort
        case (.forbidden, .some): throw .unexpectedPort
        default: break
        }
        self.init(host: host, port: port)
    }

    /// A port from its text: ASCII digits whose value is 1 to 65535, or 0 when `allowsZero`; nil otherwise.
    public static func port(_ text: some StringProtocol, allowsZero: Bool = false) -> Int? {
        guard !text.isEmpty, text.allSatisfy({ $0.isASCII && $0.isNumber }), let number = Int(text),
            (allowsZero ? 0 : 1)...65535 ~= number
        else { return nil }
        return number
    }

    /// `HOST:PORT`, `[IPV6]:PORT`, or the host alone (IPv6 in brackets) when there is no port.
    public var description: String { Self.format(host: host.description, port: port) }

    /// The inverse of parsing, for a host kept as text: `HOST:PORT`, with an IPv6 host (any host holding a
    /// colon) in brackets; the host alone, bracketed likewise, when `port` is nil.
    public static func format(host: String, port: Int?) -> String {
        let literal = host.contains(":") ? "[\(host)]" : host
        return port.map { "\(literal):\($0)" } ?? literal
    }
}

/// What a caller of ``HostPort/init(parsing:rules:)`` allows; the syntax itself is the same for every caller.
public struct HostPortRules: Sendable, Hashable {
    /// Whether the text has a port.
    public enum Port: Sendable, Hashable {
        /// `HOST:PORT` only.
        case required
        /// `HOST:PORT` or `HOST`.
        case optional
        /// `HOST` only; an IPv6 literal may then go without brackets.
        case forbidden
    }

    /// Whether the text has a port.
    public var port: Port
    /// The host of `:PORT` and `PORT`; nil refuses both.
    public var defaultHost: NetworkHost?
    /// Whether port 0 ("any free port") is accepted.
    public var allowsAnyPort: Bool
    /// Whether an IPv6 literal without brackets is read as a host without a port.
    public var allowsBareIPv6: Bool

    /// The rules of a caller; by default a host and a port 1–65535 are both required.
    public init(port: Port = .required, defaultHost: NetworkHost? = nil, allowsAnyPort: Bool = false, allowsBareIPv6: Bool = false) {
        self.port = port
        self.defaultHost = defaultHost
        self.allowsAnyPort = allowsAnyPort
        self.allowsBareIPv6 = allowsBareIPv6
    }
}

/// Why a text is not a host and port; ``description`` says it in words a caller can put after its own
/// (`--listen`, a file, line and field).
public enum HostPortError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Nothing was written.
    case empty
    /// `:PORT` where the caller has no default host.
    case missingHost
    /// No port where one is required.
    case missingPort
    /// A port where the caller takes a host alone.
    case unexpectedPort
    /// A port that is no number in range.
    case invalidPort(String, allowsZero: Bool)
    /// A host that is neither an IP address nor a DNS name.
    case invalidHost(String)
    /// An IPv6 address with a port and no brackets (`fd00::7:53`).
    case unbracketedIPv6
    /// Brackets that hold no IPv6 address, are not closed, or are followed by other than `:PORT`.
    case invalidBrackets

    /// What is wrong, without the text (a caller may be quoting it already).
    public var description: String {
        switch self {
        case .empty: "nothing is written"
        case .missingHost: "no host is written before the port"
        case .missingPort: "no port is written: expected HOST:PORT"
        case .unexpectedPort: "a port is not allowed here"
        case .invalidPort(_, let allowsZero): "the port must be a number from \(allowsZero ? 0 : 1) to 65535"
        case .invalidHost(let host): "'\(host)' is neither an IP address nor a DNS name"
        case .unbracketedIPv6: "write an IPv6 address in brackets, as [::1]:PORT"
        case .invalidBrackets: "brackets hold an IPv6 address, written [ADDRESS]:PORT"
        }
    }
}
