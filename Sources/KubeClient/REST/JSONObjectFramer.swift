import NIOCore

/// Splits a byte stream of concatenated JSON objects (a watch body) into whole objects, whatever the chunk
/// boundaries: newline-delimited as the API server sends, or back to back as client-go's framer accepts.
/// Holds at most one partial object, bounded by `maximumObjectSize`.
struct JSONObjectFramer {
    enum FramingError: Error, Equatable, CustomStringConvertible {
        /// One event grew past the limit: the stream is not what we think it is.
        case objectTooLarge(limit: Int)
        /// Something other than a JSON object at the top level.
        case unexpectedByte(UInt8)

        var description: String {
            switch self {
            case .objectTooLarge(let limit):
                return limit >= 1 << 20 ? "an event larger than \(limit >> 20) MiB" : "an event larger than \(limit) bytes"
            case .unexpectedByte(let byte):
                let shown = (0x21..<0x7f).contains(byte) ? "'\(Character(Unicode.Scalar(byte)))'" : "byte \(byte)"
                return "\(shown) where a watch event (a JSON object) should start"
            }
        }
    }

    let maximumObjectSize: Int
    private var buffer = ByteBuffer()
    /// Offset (from the reader index) up to which bytes were scanned.
    private var scanned = 0
    private var depth = 0
    private var inString = false
    private var escaped = false

    init(maximumObjectSize: Int = 16 << 20) {
        self.maximumObjectSize = maximumObjectSize
    }

    /// Whether bytes of an unfinished object are held (an EOF now would cut an event).
    var hasPartialObject: Bool {
        buffer.readableBytesView.contains { !Self.isWhitespace($0) }
    }

    mutating func append(_ bytes: ByteBuffer) {
        var bytes = bytes
        if buffer.readableBytes == 0 { buffer.clear() } else if buffer.readerIndex > 64 * 1024 { buffer.discardReadBytes() }
        buffer.writeBuffer(&bytes)
    }

    /// The next complete object, or `nil` when more bytes are needed.
    mutating func next() throws -> ByteBuffer? {
        if depth == 0 {
            // Separators between objects are dropped at once, so they never count against the limit.
            while let first = buffer.readableBytesView.first, Self.isWhitespace(first) {
                buffer.moveReaderIndex(forwardBy: 1)
            }
            scanned = 0
        }
        // Scanned through a raw pointer: an event of several MiB is read byte by byte, and ByteBufferView's
        // indexing costs many times more per byte.
        var depth = self.depth, inString = self.inString, escaped = self.escaped
        let limit = maximumObjectSize, from = scanned
        let (end, complete) = try buffer.withUnsafeReadableBytes { bytes -> (Int, Bool) in
            var index = from
            while index < bytes.count {
                let byte = bytes[index]
                index += 1
                if depth == 0 {
                    guard byte == UInt8(ascii: "{") else { throw FramingError.unexpectedByte(byte) }
                    depth = 1
                } else if inString {
                    if escaped {
                        escaped = false
                    } else if byte == UInt8(ascii: "\\") {
                        escaped = true
                    } else if byte == UInt8(ascii: "\"") {
                        inString = false
                    }
                } else if byte == UInt8(ascii: "\"") {
                    inString = true
                } else if byte == UInt8(ascii: "{") || byte == UInt8(ascii: "[") {
                    depth += 1
                } else if byte == UInt8(ascii: "}") || byte == UInt8(ascii: "]") {
                    depth -= 1
                    if depth == 0 { return (index, true) }
                }
                if index > limit { throw FramingError.objectTooLarge(limit: limit) }
            }
            return (index, false)
        }
        self.depth = depth
        self.inString = inString
        self.escaped = escaped
        if complete {
            scanned = 0
            return buffer.readSlice(length: end)
        }
        scanned = end
        return nil
    }

    static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") || byte == UInt8(ascii: "\t")
    }
}
