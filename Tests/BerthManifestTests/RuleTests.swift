@testable import BerthManifest
import Testing

/// The small rule sets behind validation, checked at their edges.
@Suite struct RuleTests {
    @Test func names() {
        #expect(NameRule.dnsLabel.accepts("web-1") && NameRule.dnsLabel.accepts("0db"))
        #expect(!NameRule.dnsLabel.accepts("Web") && !NameRule.dnsLabel.accepts("-web") && !NameRule.dnsLabel.accepts("web-"))
        #expect(!NameRule.dnsLabel.accepts(String(repeating: "a", count: 64)) && NameRule.dnsLabel.accepts(String(repeating: "a", count: 63)))
        #expect(!NameRule.dns1035Label.accepts("1web") && NameRule.dns1035Label.accepts("web1"))
        #expect(NameRule.dnsSubdomain.accepts("api.v2") && !NameRule.dnsSubdomain.accepts("api..v2"))
        #expect(NameRule.portName.accepts("http") && NameRule.portName.accepts("h2c-1"))
        #expect(!NameRule.portName.accepts("8080") && !NameRule.portName.accepts("web--ui") && !NameRule.portName.accepts("sixteen-chars-xx"))
        #expect(NameRule.labelKey.accepts("app.kubernetes.io/name") && !NameRule.labelKey.accepts("a/b/c") && !NameRule.labelKey.accepts("-x"))
        #expect(NameRule.labelValue.accepts("") && !NameRule.labelValue.accepts("my api"))
    }

    @Test func addresses() {
        for good in ["127.0.0.1", "0.0.0.0", "::1", "::", "fe80::1", "2001:db8::8a2e:370:7334", "::ffff:10.0.0.1", "localhost", "LOCALHOST"] {
            #expect(ListenAddress(good) != nil, "\(good)")
        }
        for bad in ["256.0.0.1", "1.2.3", "01.2.3.4", "1:2:3:4:5:6:7:8:9", "1::2::3", "example.com", "", "[::1]", "12345::", "fe80::1%eth0"] {
            #expect(ListenAddress(bad) == nil, "\(bad)")
        }
    }

    @Test func addressOverlaps() throws {
        func overlap(_ a: String, _ b: String) throws -> Bool {
            try #require(ListenAddress(a)).overlaps(try #require(ListenAddress(b)))
        }
        #expect(try overlap("127.0.0.1", "127.0.0.1") && overlap("0.0.0.0", "127.0.0.1") && overlap("::", "127.0.0.1"))
        #expect(try overlap("localhost", "::1") && overlap("localhost", "127.0.0.1") && overlap("::1", "0:0::1"))
        #expect(try !overlap("127.0.0.1", "127.0.0.2") && !overlap("0.0.0.0", "::1") && !overlap("localhost", "10.0.0.1"))
    }

    /// `::ffff:127.0.0.1` is 127.0.0.1 written as IPv6: a loopback address, and as a `host:` the relay pod's
    /// own loopback, refused like 127.0.0.1 (it was taken for a host the cluster could reach).
    @Test func aMappedLoopbackIsLoopback() throws {
        #expect(try #require(ListenAddress("::ffff:127.0.0.5")).isLoopback)
        #expect(try !#require(ListenAddress("::ffff:10.0.0.5")).isLoopback)
        guard case .failure(let refusal) = TargetHost.check("::ffff:127.0.0.1") else {
            Issue.record("::ffff:127.0.0.1 accepted as a host")
            return
        }
        #expect(refusal.message.contains("the relay pod's own loopback"))
    }

    @Test func durations() {
        #expect(DurationSyntax.parse("10s") == .seconds(10))
        #expect(DurationSyntax.parse("500ms") == .milliseconds(500))
        #expect(DurationSyntax.parse("1h2m3s") == .seconds(3723))
        #expect(DurationSyntax.parse("0") == .zero)
        for bad in ["", "10", "s", "1.5s", "-1s", "10 s", "1d"] {
            #expect(DurationSyntax.parse(bad) == nil, "\(bad)")
        }
        #expect(DurationSyntax.format(.seconds(90)) == "1m30s")
        #expect(DurationSyntax.format(.milliseconds(500)) == "500ms")
    }

    @Test func suggestions() {
        #expect(Suggestion.closest(to: "namepsace", among: FieldNames.forward) == "namespace")
        #expect(Suggestion.closest(to: "adress", among: FieldNames.forward) == "address")
        #expect(Suggestion.closest(to: "Ports", among: FieldNames.forward) == "ports")
        #expect(Suggestion.closest(to: "image", among: FieldNames.forward) == nil)
    }

    @Test func substitution() {
        func expand(_ text: String, _ variables: [String: String] = [:]) -> String? {
            if case .expanded(let value) = Substitution.expand(text, variables: variables) { return value }
            return nil
        }
        #expect(expand("${A}-${B:-b}", ["A": "a"]) == "a-b")
        #expect(expand("$$HOME and $5 and $") == "$HOME and $5 and $")
        #expect(expand("${A}") == nil)
        #expect(expand("$HOME") == nil)
        #expect(expand("${A") == nil)
        #expect(expand("${1A:-x}") == nil)
    }
}
