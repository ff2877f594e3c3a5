import FakeKube
import Testing

/// FakeKube's JSON parser against bad input, tried on purpose: a clear nil or a replacement character, never a trap.
@Suite struct JSONBadInputTests {
    @Test(arguments: [
        (#""\ud800\u0041""#, "\u{FFFD}A"),
        (#""\udc00""#, "\u{FFFD}"),
        (#""\ud800""#, "\u{FFFD}"),
        (#""\ud800x""#, "\u{FFFD}x"),
        (#""\ud800\ud83d\ude00""#, "\u{FFFD}😀"),
        (#""\ud83d\ude00""#, "😀"),
    ])
    func loneSurrogatesBecomeReplacementCharacters(_ text: String, _ expected: String) {
        #expect(JSON.parse(Array(text.utf8)) == .string(expected))
    }

    @Test(arguments: [
        #"{"metadata": {"name": "p""#,          // truncated
        #"{"a": "\u12"}"#,                     // short escape
        #"{"a": "\u+abc"}"#,                   // a sign is no hex digit
        #"{"a": "\ud800\u12"}"#,               // short escape after a high surrogate
        #"{"a": 1,}"#,
        #"[1, 2"#,
        "\u{0}",
        String(repeating: "[", count: 100_000),  // nesting far past the depth limit
    ])
    func malformedDocumentsAreRejected(_ text: String) {
        #expect(JSON.parse(Array(text.utf8)) == nil)
    }

    @Test func aHugeStringParses() {
        let big = String(repeating: "x", count: 8 << 20)
        #expect(JSON.parse(Array("{\"a\": \"\(big)\"}".utf8)) == .object(["a": .string(big)]))
    }
}
