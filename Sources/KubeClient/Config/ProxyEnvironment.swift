import Foundation
import HostPortSyntax
import KubeAPI

/// The proxy kubectl uses when the kubeconfig sets no `proxy-url`: `HTTPS_PROXY` for an `https://` server,
/// `HTTP_PROXY` for an `http://` one (upper case first, then lower case), unless `NO_PROXY` names the server.
/// As in kubectl, `localhost` and loopback addresses never go through a proxy. See docs/kubeconfig.md.
public enum ProxyEnvironment {
    /// The proxy to use for `server`, or nil to connect directly.
    /// - Throws: `KubeClientError.kubeconfig` naming the variable when its value is not an `http://` proxy
    ///   (the value itself is never repeated: it may hold a password).
    public static func proxy(for server: ServerAddress, environment: [String: String]) throws(KubeClientError) -> ProxySettings? {
        let names = server.isSecure ? ["HTTPS_PROXY", "https_proxy"] : ["HTTP_PROXY", "http_proxy"]
        guard let (name, value) = firstSet(names, in: environment) else { return nil }
        let noProxy = firstSet(["NO_PROXY", "no_proxy"], in: environment)?.value ?? ""
        guard usesProxy(host: server.host, port: server.port, noProxy: noProxy) else { return nil }
        func fail(_ message: String) -> KubeClientError {
            .kubeconfig(file: "environment", entry: "server \(server.url)", field: name, message: message)
        }
        // Like Go's net/http, a value without a scheme ("proxy:3128") means http.
        let text = value.contains("://") ? value : "http://" + value
        guard let components = URLComponents(string: text), let host = components.host, !host.isEmpty else {
            throw fail("must be a proxy URL such as http://proxy:3128")
        }
        guard components.scheme?.lowercased() == "http" else {
            throw fail("only http:// (CONNECT) proxies are supported, not \(components.scheme ?? "no scheme")")
        }
        return ProxySettings(host: ServerAddress.bare(host), port: components.port ?? 80, username: components.user, password: components.password)
    }

    /// Whether a connection to `host:port` goes through the proxy, by Go's rules for `NO_PROXY`: a comma-separated
    /// list of `*`, IP addresses, CIDR ranges and domains (`example.com` matches it and its subdomains,
    /// `.example.com` and `*.example.com` only subdomains), each optionally with `:port`. An entry is read by
    /// berth's one host parser (docs/architecture.md, "Hosts and ports"); one it refuses matches nothing.
    static func usesProxy(host rawHost: String, port: Int, noProxy: String) -> Bool {
        let host = rawHost.lowercased()
        let address = IPAddress(host).map(unmapped)
        if host == "localhost" || address?.isLoopback == true { return false }
        for rawEntry in noProxy.split(separator: ",") {
            var entry = Substring(rawEntry.trimmingCharacters(in: .whitespaces).lowercased())
            if entry.isEmpty { continue }
            if entry == "*" { return false }
            if let range = CIDRRange(entry) {
                if let address, range.contains(address) { return false }
                continue
            }
            if entry.hasPrefix("*.") { entry = entry.dropFirst() }
            let subdomainsOnly = entry.hasPrefix(".")
            if subdomainsOnly { entry = entry.dropFirst() }
            let rules = HostPortRules(port: .optional, allowsBareIPv6: true)
            guard let parsed = try? HostPort(parsing: entry, rules: rules) else { continue }
            if let entryPort = parsed.port, entryPort != port { continue }
            switch parsed.host {
            case .address(let entryAddress):
                if !subdomainsOnly, unmapped(entryAddress) == address { return false }
            case .name(let domain):
                if host.hasSuffix("." + domain) || (!subdomainsOnly && host == domain) { return false }
            }
        }
        return true
    }

    /// An IPv4-mapped IPv6 address as its IPv4 address, so that both spellings match each other.
    static func unmapped(_ address: IPAddress) -> IPAddress {
        address.ipv4Mapped ?? address
    }

    private static func firstSet(_ names: [String], in environment: [String: String]) -> (name: String, value: String)? {
        for name in names {
            if let value = environment[name]?.trimmingCharacters(in: .whitespaces), !value.isEmpty { return (name, value) }
        }
        return nil
    }
}

/// `10.0.0.0/8` or `fd00::/8`.
struct CIDRRange {
    let network: IPAddress
    let prefixLength: Int

    init?(_ text: some StringProtocol) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let network = IPAddress(parts[0]).map(ProxyEnvironment.unmapped), network.zone == nil,
            let length = Int(parts[1]), length >= 0, length <= network.bytes.count * 8
        else { return nil }
        self.network = network
        prefixLength = length
    }

    func contains(_ address: IPAddress) -> Bool {
        guard address.bytes.count == network.bytes.count else { return false }
        var remaining = prefixLength
        for (a, b) in zip(address.bytes, network.bytes) where remaining > 0 {
            let mask: UInt8 = remaining >= 8 ? 0xFF : ~(0xFF >> UInt8(remaining))
            if a & mask != b & mask { return false }
            remaining -= 8
        }
        return true
    }
}
