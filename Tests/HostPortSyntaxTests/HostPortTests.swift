import HostPortSyntax
import Testing

/// The one `[HOST]:PORT` parser: the forms every caller shares, what each caller may allow, and the inverse.
@Suite struct HostPortTests {
    static let anyPortWithLoopback = HostPortRules(defaultHost: .address(IPAddress("127.0.0.1")!), allowsAnyPort: true)

    @Test(arguments: [
        ("db:5432", "db", 5432), ("orders.example.com:1", "orders.example.com", 1), ("10.0.0.1:65535", "10.0.0.1", 65535),
        ("[fd00::7]:8125", "fd00::7", 8125), ("[fe80::1%eth0]:80", "fe80::1%eth0", 80), ("Kube-DNS.Cluster.Local:53", "kube-dns.cluster.local", 53),
        ("[0:0::1]:80", "::1", 80), ("db:08080", "db", 8080),
    ])
    func hostAndPort(_ text: String, _ host: String, _ port: Int) throws {
        let parsed = try HostPort(parsing: text)
        #expect(parsed.host.description == host)
        #expect(parsed.port == port)
    }

    @Test(arguments: [
        ("", HostPortError.empty), ("db", .missingPort), ("[::1]", .missingPort), (":80", .missingHost),
        ("db:0", .invalidPort("0", allowsZero: false)), ("db:65536", .invalidPort("65536", allowsZero: false)),
        ("db:+5", .invalidPort("+5", allowsZero: false)), ("db:", .invalidPort("", allowsZero: false)),
        ("db:99999999999999999999999", .invalidPort("99999999999999999999999", allowsZero: false)),
        ("a b:5432", .invalidHost("a b")), ("-db:1", .invalidHost("-db")), ("10.0.0.256:1", .invalidHost("10.0.0.256")),
        ("fd00::7:53", .unbracketedIPv6), ("::1", .unbracketedIPv6), ("a:b:c", .invalidHost("a:b:c")),
        ("[::1", .invalidBrackets), ("[::1]80", .invalidBrackets), ("[10.0.0.1]:80", .invalidBrackets), ("[db]:80", .invalidBrackets),
        ("8080", .invalidHost("8080")), ("my_db:80", .invalidHost("my_db")), ("dé:80", .invalidHost("dé")),
    ])
    func refusedByDefault(_ text: String, _ error: HostPortError) {
        #expect(throws: error) { try HostPort(parsing: text) }
    }

    @Test func aDefaultHostAllowsAPortAlone() throws {
        let rules = Self.anyPortWithLoopback
        #expect(try HostPort(parsing: "9464", rules: rules).description == "127.0.0.1:9464")
        #expect(try HostPort(parsing: ":0", rules: rules).description == "127.0.0.1:0")
        #expect(try HostPort(parsing: "[::]:8080", rules: rules).description == "[::]:8080")
        #expect(throws: HostPortError.missingPort) { try HostPort(parsing: "10.0.0.1", rules: rules) }
        #expect(throws: HostPortError.invalidPort("65536", allowsZero: true)) { try HostPort(parsing: "65536", rules: rules) }
    }

    @Test func anOptionalPort() throws {
        let rules = HostPortRules(port: .optional)
        #expect(try HostPort(parsing: "LocalHost", rules: rules) == HostPort(host: .name("localhost"), port: nil))
        #expect(try HostPort(parsing: "[::1]", rules: rules).host.address == IPAddress("::1"))
        #expect(throws: HostPortError.unbracketedIPv6) { try HostPort(parsing: "::1", rules: rules) }
        let bare = HostPortRules(port: .optional, allowsBareIPv6: true)
        #expect(try HostPort(parsing: "fd12::1", rules: bare) == HostPort(host: .address(IPAddress("fd12::1")!), port: nil))
        #expect(try HostPort(parsing: "[fd12::1]:6443", rules: bare).port == 6443)
    }

    @Test func aHostAlone() throws {
        #expect(try NetworkHost(parsing: "fd00::7") == .address(IPAddress("fd00::7")!), "no port can follow: no brackets needed")
        #expect(try NetworkHost(parsing: "[fd00::7]") == .address(IPAddress("fd00::7")!))
        #expect(try NetworkHost(parsing: "Example.COM") == .name("example.com"))
        #expect(throws: HostPortError.unexpectedPort) { try NetworkHost(parsing: "example.com:80") }
        #expect(throws: HostPortError.invalidHost("exa mple")) { try NetworkHost(parsing: "exa mple") }
    }

    @Test(arguments: [
        ("orders.example.com", true), ("a", true), ("a-b.c-d", true), ("a_b", false), ("xn--bcher-kva.example", true), ("1a.example", true),
        (String(repeating: "a", count: 63), true), (String(repeating: "a", count: 64), false),
        (Self.name(lastLabel: 61), true), (Self.name(lastLabel: 62), false),
        ("", false), ("a..b", false), ("a.", false), (".a", false), ("-a", false), ("a-", false), ("1.2.3", false), ("a b", false),
        ("café", false),
    ])
    func dnsNames(_ text: String, _ valid: Bool) {
        #expect(NetworkHost.isDNSName(text) == valid)
    }

    /// Three labels of 63 and a last one: 253 characters with a last label of 61.
    static func name(lastLabel: Int) -> String {
        Array(repeating: String(repeating: "a", count: 63), count: 3).joined(separator: ".") + "." + String(repeating: "b", count: lastLabel)
    }

    @Test func writtenBack() throws {
        #expect(HostPort.format(host: "fd00::7", port: 8125) == "[fd00::7]:8125")
        #expect(HostPort.format(host: "db", port: 5432) == "db:5432")
        #expect(HostPort.format(host: "::1", port: nil) == "[::1]")
        for text in ["db:5432", "[fd00::7]:8125", "10.0.0.1:1", "[fe80::1%eth0]:80"] {
            #expect(try HostPort(parsing: text).description == text, "parse and write back")
        }
    }

    @Test(arguments: [("db", 1), ("db", 65535), ("db", 0)])
    func portsAlone(_: String, _ port: Int) {
        #expect(HostPort.port("\(port)") == (port == 0 ? nil : port))
        #expect(HostPort.port("\(port)", allowsZero: true) == port)
        #expect(HostPort.port("٣") == nil, "ASCII digits only")
    }
}
