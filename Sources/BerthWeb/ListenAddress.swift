import HostPortSyntax

/// Where an HTTP server of `berth up` listens, typed as `[ADDRESS:]PORT` (`--metrics`, docs/metrics.md):
/// `127.0.0.1` unless an address is typed, so nothing is reachable from the network by default.
public struct ListenAddress: Sendable, Hashable, CustomStringConvertible {
    /// The IP address to bind (an IPv6 one without brackets).
    public var host: String
    /// The port; 0 lets the system choose one.
    public var port: Int

    /// The address when only a port is typed.
    public static let defaultHost = "127.0.0.1"

    /// An address and port.
    public init(host: String = ListenAddress.defaultHost, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `PORT`, `:PORT`, `ADDRESS:PORT` or `[IPV6]:PORT` (docs/architecture.md, "Hosts and ports"); the
    /// address is an IP address or `localhost` (127.0.0.1); port 0 lets the system choose.
    /// - Throws: ``ListenAddressError`` saying what is wrong with `text`.
    public init(parsing text: String) throws(ListenAddressError) {
        let rules = HostPortRules(defaultHost: .name("localhost"), allowsAnyPort: true)
        let parsed: HostPort
        do throws(HostPortError) {
            parsed = try HostPort(parsing: text, rules: rules)
        } catch {
            throw ListenAddressError(text: text, reason: Self.reason(error))
        }
        let host: String
        switch parsed.host {
        case .address(let address): host = address.description
        case .name("localhost"): host = Self.defaultHost
        case .name(let name): throw ListenAddressError(text: text, reason: "'\(name)' is not an IP address or localhost")
        }
        self.init(host: host, port: parsed.port ?? 0)
    }

    private static func reason(_ error: HostPortError) -> String {
        switch error {
        case .invalidHost(let host): "'\(host)' is not an IP address or localhost"
        case .empty, .missingPort: "no port is written: expected [ADDRESS:]PORT"
        case .invalidBrackets: "expected [ADDRESS]:PORT"
        default: error.description
        }
    }

    /// `HOST:PORT`, the host in brackets when it is IPv6.
    public var description: String { authority(port: port) }

    /// `HOST:PORT` with another port (the one the system chose for port 0).
    public func authority(port: Int) -> String {
        HostPort.format(host: host, port: port)
    }
}

/// A `[ADDRESS:]PORT` berth cannot listen on.
public struct ListenAddressError: Error, CustomStringConvertible {
    /// What was typed.
    public var text: String
    /// What is wrong with it.
    public var reason: String

    public var description: String { "'\(text)' is not [ADDRESS:]PORT: \(reason)" }
}
