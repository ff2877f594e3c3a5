import NIOCore
import Testing

@testable import KubeClient

@Suite struct JSONObjectFramerTests {
    let stream = #"{"type":"ADDED","object":{"a":"x}y\"{","b":[1,{"c":2}]}}"# + "\n" + #"{"type":"BOOKMARK"}"# + #"{"type":"DELETED","object":{}}"# + "\r\n"

    func frames(splitAt cuts: [Int], framer: inout JSONObjectFramer) throws -> [String] {
        let bytes = Array(stream.utf8)
        var result: [String] = []
        var start = 0
        for end in cuts + [bytes.count] where end >= start {
            framer.append(ByteBuffer(bytes: bytes[start..<end]))
            while let frame = try framer.next() { result.append(String(buffer: frame)) }
            start = end
        }
        return result
    }

    @Test func everySplitPointYieldsTheSameObjects() throws {
        let expected = [
            #"{"type":"ADDED","object":{"a":"x}y\"{","b":[1,{"c":2}]}}"#, #"{"type":"BOOKMARK"}"#, #"{"type":"DELETED","object":{}}"#,
        ]
        let count = stream.utf8.count
        for first in 0...count {
            for second in stride(from: first, through: count, by: 7) {
                var framer = JSONObjectFramer()
                #expect(try frames(splitAt: [first, second], framer: &framer) == expected, "cut at \(first), \(second)")
                #expect(!framer.hasPartialObject)
            }
        }
        var byteByByte = JSONObjectFramer()
        #expect(try frames(splitAt: Array(0...count), framer: &byteByByte) == expected)
    }

    @Test func partialObjectIsReported() throws {
        var framer = JSONObjectFramer()
        framer.append(ByteBuffer(string: #"{"type":"ADD"#))
        #expect(try framer.next() == nil)
        #expect(framer.hasPartialObject)
    }

    @Test func oversizedObjectsAndGarbageAreErrors() throws {
        var small = JSONObjectFramer(maximumObjectSize: 16)
        small.append(ByteBuffer(string: #"{"type":"ADDED","object":{}}"#))
        #expect(throws: JSONObjectFramer.FramingError.objectTooLarge(limit: 16)) { _ = try small.next() }
        var garbage = JSONObjectFramer()
        garbage.append(ByteBuffer(string: "  <html>"))
        #expect(throws: JSONObjectFramer.FramingError.unexpectedByte(UInt8(ascii: "<"))) { _ = try garbage.next() }
    }
}
