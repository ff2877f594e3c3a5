import NIOCore

/// Which `Host` headers a server of `berth up` answers (docs/dashboard.md and docs/metrics.md, "Access"): a
/// page of another site whose name was made to resolve to this machine (DNS rebinding) sends its own name, so
/// a name other than `localhost` is refused. Of IP addresses, a loopback one is always accepted; another only
/// when the user bound the server to it, or to every address (`0.0.0.0`, `::`), where any address of this
/// machine may reach it and no site can make a browser send an address as its name.
struct HostRule: Sendable {
    /// The address the server was bound to, normalised (`::1`, not `0:0:0:0:0:0:0:1`).
    let listening: String?

    /// The rule for a server bound to `address`.
    init(listening address: ListenAddress) {
        listening = Self.normalized(address.host)
    }

    /// Whether `authority` (`HOST[:PORT]` or `[IPV6][:PORT]`) names this server.
    func accepts(authority: String) -> Bool {
        guard let host = Self.hostPart(of: authority) else { return false }
        if host.lowercased() == "localhost" { return true }
        guard let address = Self.normalized(host) else { return false }
        if Self.isLoopback(address) || address == listening { return true }
        return listening.map(Self.isUnspecified) ?? false
    }

    /// The host of `HOST[:PORT]` or `[IPV6][:PORT]`.
    static func hostPart(of authority: String) -> String? {
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            let rest = authority[authority.index(after: close)...]
            guard rest.isEmpty || rest.hasPrefix(":") else { return nil }
            return String(authority[authority.index(after: authority.startIndex)..<close])
        }
        let parts = authority.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count <= 2 else { return nil }
        return String(parts[0])
    }

    /// The system's own spelling of an IP address; nil for anything else (a name).
    static func normalized(_ host: String) -> String? {
        (try? SocketAddress(ipAddress: host, port: 0))?.ipAddress
    }

    static func isLoopback(_ address: String) -> Bool {
        address == "::1" || address.hasPrefix("127.") || address.hasPrefix("::ffff:127.")
    }

    static func isUnspecified(_ address: String) -> Bool {
        address == "0.0.0.0" || address == "::"
    }
}
