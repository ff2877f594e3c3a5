import NIOCore

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

    /// Parses `PORT`, `ADDRESS:PORT` or `[IPV6]:PORT`; the address is an IP address or `localhost` (127.0.0.1).
    /// - Throws: ``ListenAddressError`` saying what is wrong with `text`.
    public init(parsing text: String) throws(ListenAddressError) {
        var host = Self.defaultHost
        var portText = Substring(text)
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else {
                throw ListenAddressError(text: text, reason: "expected [ADDRESS]:PORT")
            }
            host = String(text[text.index(after: text.startIndex)..<close])
            portText = text[text.index(close, offsetBy: 2)...]
        } else if let colon = text.lastIndex(of: ":") {
            host = String(text[..<colon])
            guard !host.contains(":") else {
                throw ListenAddressError(text: text, reason: "write an IPv6 address in brackets, as [::1]:PORT")
            }
            portText = text[text.index(after: colon)...]
        }
        guard let port = Int(portText), (0...65535).contains(port) else {
            throw ListenAddressError(text: text, reason: "the port must be a number from 0 to 65535")
        }
        if host == "localhost" { host = Self.defaultHost }
        guard (try? SocketAddress(ipAddress: host, port: port)) != nil else {
            throw ListenAddressError(text: text, reason: "'\(host)' is not an IP address or localhost")
        }
        self.init(host: host, port: port)
    }

    /// `HOST:PORT`, the host in brackets when it is IPv6.
    public var description: String { authority(port: port) }

    /// `HOST:PORT` with another port (the one the system chose for port 0).
    public func authority(port: Int) -> String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
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
