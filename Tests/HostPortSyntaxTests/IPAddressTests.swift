import HostPortSyntax
import Testing

/// IP literals: what parses, what is refused, and the one spelling they are written back in.
@Suite struct IPAddressTests {
    @Test(arguments: [
        "127.0.0.1", "0.0.0.0", "255.255.255.255", "::1", "::", "fe80::1", "2001:db8::8a2e:370:7334",
        "::ffff:10.0.0.1", "1:2:3:4:5:6:7:8", "1::", "::2:3:4:5:6:7:8", "fe80::1%eth0", "FE80::A",
    ])
    func parses(_ text: String) {
        #expect(IPAddress(text) != nil)
    }

    @Test(arguments: [
        "", "256.0.0.1", "1.2.3", "1.2.3.4.5", "01.2.3.4", "1.2.3.-4", "+1.2.3.4", "1:2:3:4:5:6:7:8:9", "1::2::3",
        "12345::", ":::", "1:::2", "::g", "example.com", "localhost", "[::1]", "1.2.3.4%eth0", "fe80::1%", "fe80::1%a b",
        "::1.2.3", "1:2:3:4:5:6:7::8:9", "1:2:3:4:5:6:1.2.3.4:5",
    ])
    func refuses(_ text: String) {
        #expect(IPAddress(text) == nil)
    }

    @Test func bytesAndFamilies() throws {
        #expect(try #require(IPAddress("10.1.2.3")).bytes == [10, 1, 2, 3])
        #expect(try #require(IPAddress("10.1.2.3")).family == .v4)
        #expect(try #require(IPAddress("::ffff:10.1.2.3")).bytes == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 10, 1, 2, 3])
        #expect(try #require(IPAddress("::ffff:10.1.2.3")).ipv4Mapped == IPAddress("10.1.2.3"))
        #expect(try #require(IPAddress("fe80::1%eth0")).zone == "eth0")
        #expect(IPAddress("::1") == IPAddress("0:0:0:0:0:0:0:1"), "compared as bytes, not as text")
        #expect(IPAddress("fe80::1") != IPAddress("fe80::1%eth0"))
        #expect(IPAddress(bytes: [1, 2, 3]) == nil)
        #expect(IPAddress(bytes: [1, 2, 3, 4], zone: "eth0") == nil)
    }

    @Test(arguments: [
        ("127.0.0.1", true), ("127.9.9.9", true), ("::1", true), ("::ffff:127.0.0.1", true),
        ("128.0.0.1", false), ("::2", false), ("::", false), ("10.0.0.1", false),
    ])
    func loopback(_ text: String, _ expected: Bool) throws {
        #expect(try #require(IPAddress(text)).isLoopback == expected)
    }

    @Test func unspecified() throws {
        #expect(try #require(IPAddress("0.0.0.0")).isUnspecified)
        #expect(try #require(IPAddress("::")).isUnspecified)
        #expect(try !#require(IPAddress("::1")).isUnspecified)
    }

    /// RFC 5952: lower case, no leading zeros, the longest run of two or more zero groups (the first of equals)
    /// as `::`, a single zero group kept, IPv4-mapped addresses dotted.
    @Test(arguments: [
        ("0:0:0:0:0:0:0:1", "::1"), ("0::0", "::"), ("2001:DB8:0:0:0:0:0:7", "2001:db8::7"),
        ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"), ("2001:0:0:1:0:0:0:1", "2001:0:0:1::1"),
        ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"), ("1::", "1::"), ("::ffff:7f00:1", "::ffff:127.0.0.1"),
        ("fe80::0001%eth0", "fe80::1%eth0"), ("010.0.0.1", nil), ("10.0.0.1", "10.0.0.1"),
    ] as [(String, String?)])
    func writesOneSpelling(_ text: String, _ expected: String?) {
        #expect(IPAddress(text)?.description == expected)
    }
}
