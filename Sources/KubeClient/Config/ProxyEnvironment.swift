import Foundation
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
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        return ProxySettings(host: bare, port: components.port ?? 80, username: components.user, password: components.password)
    }

    /// Whether a connection to `host:port` goes through the proxy, by Go's rules for `NO_PROXY`: a comma-separated
    /// list of `*`, IP addresses, CIDR ranges and domains (`example.com` matches it and its subdomains,
    /// `.example.com` and `*.example.com` only subdomains), each optionally with `:port`.
    static func usesProxy(host rawHost: String, port: Int, noProxy: String) -> Bool {
        let host = rawHost.lowercased()
        let address = IPAddressBytes(host)
        if host == "localhost" || address?.isLoopback == true { return false }
        for rawEntry in noProxy.split(separator: ",") {
            let entry = rawEntry.trimmingCharacters(in: .whitespaces).lowercased()
            if entry.isEmpty { continue }
            if entry == "*" { return false }
            if let range = CIDRRange(entry) {
                if let address, range.contains(address) { return false }
                continue
            }
            let (entryHost, entryPort) = splitHostPort(entry)
            if let entryPort, entryPort != port { continue }
            if entryHost.isEmpty { continue }
            if let entryAddress = IPAddressBytes(entryHost) {
                if entryAddress == address { return false }
                continue
            }
            var domain = entryHost.hasPrefix("*.") ? String(entryHost.dropFirst()) : entryHost
            let matchesItself = !domain.hasPrefix(".")
            if matchesItself { domain = "." + domain }
            if host.hasSuffix(domain) || (matchesItself && host == domain.dropFirst()) { return false }
        }
        return true
    }

    private static func firstSet(_ names: [String], in environment: [String: String]) -> (name: String, value: String)? {
        for name in names {
            if let value = environment[name]?.trimmingCharacters(in: .whitespaces), !value.isEmpty { return (name, value) }
        }
        return nil
    }

    /// `host:port`, `[v6]:port`, `[v6]` or a bare host (an IPv6 literal without brackets has no port).
    private static func splitHostPort(_ entry: String) -> (host: String, port: Int?) {
        if entry.hasPrefix("["), let close = entry.firstIndex(of: "]") {
            let host = String(entry[entry.index(after: entry.startIndex)..<close])
            let rest = entry[entry.index(after: close)...]
            return (host, rest.hasPrefix(":") ? Int(rest.dropFirst()) : nil)
        }
        let colons = entry.filter { $0 == ":" }.count
        if colons == 1, let colon = entry.firstIndex(of: ":"), let port = Int(entry[entry.index(after: colon)...]) {
            return (String(entry[..<colon]), port)
        }
        return (entry, nil)
    }
}

/// An IPv4 or IPv6 address as bytes (IPv4-mapped IPv6 addresses as their 4 IPv4 bytes), for `NO_PROXY` matching.
struct IPAddressBytes: Equatable {
    let bytes: [UInt8]

    init?(_ text: String) {
        var v4 = in_addr()
        var v6 = in6_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            bytes = withUnsafeBytes(of: &v4) { Array($0) }
        } else if inet_pton(AF_INET6, text, &v6) == 1 {
            let all = withUnsafeBytes(of: &v6) { Array($0) }
            let mapped = all.prefix(10).allSatisfy { $0 == 0 } && all[10] == 0xFF && all[11] == 0xFF
            bytes = mapped ? Array(all.suffix(4)) : all
        } else {
            return nil
        }
    }

    var isLoopback: Bool {
        bytes.count == 4 ? bytes[0] == 127 : bytes == [UInt8](repeating: 0, count: 15) + [1]
    }
}

/// `10.0.0.0/8` or `fd00::/8`.
struct CIDRRange {
    let network: IPAddressBytes
    let prefixLength: Int

    init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let network = IPAddressBytes(String(parts[0])), let length = Int(parts[1]),
            length >= 0, length <= network.bytes.count * 8
        else { return nil }
        self.network = network
        prefixLength = length
    }

    func contains(_ address: IPAddressBytes) -> Bool {
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
