// Failures of the SPDY codec. They never leave the session that hit them: whoever catches one ends that
// session, since a broken header-compression stream cannot be resynchronised.

/// Why a SPDY/3 frame could not be encoded or decoded, named after the step that failed.
public enum SPDYError: Error, Equatable, CustomStringConvertible, Sendable {
    /// zlib refused to set up or run the header deflater.
    case headerCompressionFailed(zlibCode: Int32)
    /// A SYN_STREAM/SYN_REPLY/HEADERS block did not inflate with the session's zlib stream.
    case headerDecompressionFailed(zlibCode: Int32)
    /// An inflated header block was not `count, (len, name, len, value)*`.
    case headerBlockMalformed(reason: String)
    /// A control frame's payload was shorter than its type requires.
    case controlFrameTruncated(type: UInt16, length: Int)

    public var description: String {
        switch self {
        case .headerCompressionFailed(let code): "SPDY header compression failed (zlib \(code))"
        case .headerDecompressionFailed(let code): "SPDY header block did not inflate (zlib \(code))"
        case .headerBlockMalformed(let reason): "SPDY header block malformed: \(reason)"
        case .controlFrameTruncated(let type, let length): "SPDY control frame type \(type) too short (\(length) bytes)"
        }
    }
}
