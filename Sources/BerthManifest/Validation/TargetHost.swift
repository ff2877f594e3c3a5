import HostPortSyntax

/// The `host:` target: a DNS name or IP address the cluster can reach, which berth's relay pod dials
/// (docs/manifest.md, "host").
enum TargetHost {
    /// Why a host is refused, in words a user can act on.
    struct Refusal: Error {
        var message: String
    }

    /// The host as berth keeps it (lowercase), or why it is refused.
    static func check(_ text: String) -> Result<String, Refusal> {
        let host = text.lowercased()
        if let address = ListenAddress(host) {
            // The relay's own loopback would reach the relay's listen ports, never the host meant.
            if address.isLoopback {
                return .failure(Refusal(message: "'\(text)' is the relay pod's own loopback; a host target must be a name or address the cluster can reach"))
            }
            if address == .ipv4([0, 0, 0, 0]) || address == .ipv6(Array(repeating: 0, count: 16)) {
                return .failure(Refusal(message: "'\(text)' is a wildcard address, not a host; write the name or address the cluster can reach"))
            }
            return .success(host)
        }
        // berth's one rule for a name (docs/architecture.md, "Hosts and ports"), which the relay reads again.
        guard NetworkHost.isDNSName(host) else {
            return .failure(Refusal(message: "'\(text)' is not a valid host: write an IPv4 or IPv6 address, or a DNS name of at most 253 characters, "
                + "dot-separated labels of letters, digits or '-' (e.g. orders.example.com)"))
        }
        return .success(host)
    }
}
