import HostPortSyntax

/// Which `Host` headers a server of `berth up` answers (docs/dashboard.md and docs/metrics.md, "Access"): a
/// page of another site whose name was made to resolve to this machine (DNS rebinding) sends its own name, so
/// a name other than `localhost` is refused. Of IP addresses, a loopback one is always accepted; another only
/// when the user bound the server to it, or to every address (`0.0.0.0`, `::`), where any address of this
/// machine may reach it and no site can make a browser send an address as its name.
struct HostRule: Sendable {
    /// The address the server was bound to (compared as bytes: `::1` is `0:0:0:0:0:0:0:1`).
    let listening: IPAddress?

    /// The rule for a server bound to `address`.
    init(listening address: ListenAddress) {
        listening = IPAddress(address.host)
    }

    /// Whether `authority` (`HOST[:PORT]` or `[IPV6][:PORT]`) names this server.
    func accepts(authority: String) -> Bool {
        guard let host = try? HostPort(parsing: authority, rules: HostPortRules(port: .optional, allowsAnyPort: true)).host else {
            return false
        }
        switch host {
        case .name(let name): return name == "localhost"
        case .address(let address): return address.isLoopback || address == listening || listening?.isUnspecified == true
        }
    }
}
