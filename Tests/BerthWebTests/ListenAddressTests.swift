import BerthWeb
import Testing

/// `--metrics` and `--ui` as typed: `[ADDRESS:]PORT`, loopback unless an address is typed.
@Suite struct ListenAddressTests {
    @Test(arguments: [
        ("9464", "127.0.0.1:9464"), (":9464", "127.0.0.1:9464"), ("0", "127.0.0.1:0"), ("localhost:80", "127.0.0.1:80"),
        ("0.0.0.0:9464", "0.0.0.0:9464"), ("[::1]:9464", "[::1]:9464"), ("[0:0::1]:1", "[::1]:1"), ("[::]:65535", "[::]:65535"),
    ])
    func parses(_ text: String, _ expected: String) throws {
        #expect(try ListenAddress(parsing: text).description == expected)
    }

    @Test(arguments: [
        ("70000", "the port must be a number from 0 to 65535"),
        ("metrics.example:80", "'metrics.example' is not an IP address or localhost"),
        ("10.0.0.256:80", "'10.0.0.256' is not an IP address or localhost"),
        ("::1:9464", "write an IPv6 address in brackets, as [::1]:PORT"),
        ("[::1]9464", "expected [ADDRESS]:PORT"),
        ("[::1]", "no port is written: expected [ADDRESS:]PORT"),
        ("127.0.0.1", "no port is written: expected [ADDRESS:]PORT"),
        ("", "no port is written: expected [ADDRESS:]PORT"),
    ])
    func refuses(_ text: String, _ reason: String) {
        #expect(throws: ListenAddressError.self) { try ListenAddress(parsing: text) }
        do {
            _ = try ListenAddress(parsing: text)
        } catch {
            #expect(error.description == "'\(text)' is not [ADDRESS:]PORT: \(reason)")
        }
    }
}
