import Foundation
import Testing

@testable import FakeKube

/// The huge-string event is filled with memset rather than appended byte by byte: it must still be exactly one line
/// of JSON whose name is 17 MiB of `x`.
@Suite struct HugeStringEventTests {
    @Test func theHugeStringEventIsOneLineOfJSONWithA17MiBName() throws {
        let bytes = MalformedWatchEvent.hugeString.bytes(for: .pods)
        let open = Data(#"{"type":"MODIFIED","object":{"kind":"Pod","apiVersion":"v1","metadata":{"name":""#.utf8)
        let close = Data((#"","namespace":"default"}}}"# + "\n").utf8)
        let size = MalformedWatchEvent.hugeStringSize
        #expect(bytes.count == open.count + size + close.count)
        // Compared as Data (memcmp): an element-wise loop over 17 MiB takes seconds in a debug build.
        let event = Data(bytes)
        #expect(event.prefix(open.count) == open)
        #expect(event.suffix(close.count) == close)
        #expect(event.dropFirst(open.count).prefix(size) == Data(repeating: UInt8(ascii: "x"), count: size))
    }
}
