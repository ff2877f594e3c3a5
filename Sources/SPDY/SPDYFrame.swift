import NIOCore

// SPDY draft 3 frames as the port-forward protocol uses them (docs/port-forward.md, "SPDY framing and header
// compression"). Header blocks are carried already inflated: compression state belongs to the session's codec,
// not to a frame.

/// One header of a SPDY header block. Names are lowercase on the wire.
public struct SPDYHeader: Equatable, Sendable {
    /// The header name (sent lowercase).
    public var name: String
    /// The header value; several values of one name are joined with NUL.
    public var value: String

    /// Makes a header.
    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

/// A decoded SPDY/3 frame.
public enum SPDYFrame: Equatable, Sendable {
    /// Stream bytes; `fin` half-closes the sender's side of the stream.
    case data(streamID: UInt32, fin: Bool, payload: ByteBuffer)
    /// Opens a stream (`flags`: 0x01 FIN, 0x02 unidirectional).
    case synStream(streamID: UInt32, associatedStreamID: UInt32, priority: UInt8, flags: UInt8, headers: [SPDYHeader])
    /// Accepts a stream.
    case synReply(streamID: UInt32, fin: Bool, headers: [SPDYHeader])
    /// Aborts a stream with a status code (`SPDYConstants.rst…`).
    case rstStream(streamID: UInt32, status: UInt32)
    /// A liveness probe; the receiver echoes ids of the other side's parity.
    case ping(id: UInt32)
    /// The sender will open no more streams and process none past `lastGoodStreamID`.
    case goAway(lastGoodStreamID: UInt32, status: UInt32)
    /// More headers for a stream.
    case headers(streamID: UInt32, fin: Bool, headers: [SPDYHeader])
    /// Send credit (Kubernetes peers neither send nor honour it).
    case windowUpdate(streamID: UInt32, delta: UInt32)
    /// SETTINGS and anything unknown: spdystream ignores them, so do we.
    case ignored(type: UInt16)
}

/// Control frame types, flags and status codes of SPDY/3.
public enum SPDYConstants {
    /// The protocol version written in control frames (any is accepted on read).
    public static let version: UInt16 = 3
    /// Control frame type: SYN_STREAM.
    public static let synStream: UInt16 = 1
    /// Control frame type: SYN_REPLY.
    public static let synReply: UInt16 = 2
    /// Control frame type: RST_STREAM.
    public static let rstStream: UInt16 = 3
    /// Control frame type: PING.
    public static let ping: UInt16 = 6
    /// Control frame type: GOAWAY.
    public static let goAway: UInt16 = 7
    /// Control frame type: HEADERS.
    public static let headers: UInt16 = 8
    /// Control frame type: WINDOW_UPDATE.
    public static let windowUpdate: UInt16 = 9
    /// The FIN flag of DATA, SYN_STREAM, SYN_REPLY and HEADERS.
    public static let flagFin: UInt8 = 0x01
    /// RST_STREAM status PROTOCOL_ERROR.
    public static let rstProtocolError: UInt32 = 1
    /// RST_STREAM status REFUSED_STREAM.
    public static let rstRefusedStream: UInt32 = 3
    /// RST_STREAM status CANCEL: the sender no longer wants the stream.
    public static let rstCancel: UInt32 = 5
    /// RST_STREAM status INTERNAL_ERROR.
    public static let rstInternalError: UInt32 = 6
    /// GOAWAY status OK.
    public static let goAwayOK: UInt32 = 0
    /// The largest payload a frame's 24-bit length field can carry.
    public static let maximumLength = (1 << 24) - 1
}

extension SPDYFrame {
    /// Reads `count, (len, name, len, value)*` with 32-bit lengths (SPDY/3, not SPDY/2's 16-bit).
    public static func parseHeaderBlock(_ block: ByteBuffer) throws(SPDYError) -> [SPDYHeader] {
        var block = block
        guard let count = block.readInteger(as: UInt32.self) else {
            throw .headerBlockMalformed(reason: "missing pair count")
        }
        guard Int(count) <= block.readableBytes / 8 else {
            throw .headerBlockMalformed(reason: "pair count \(count) exceeds block size")
        }
        var headers: [SPDYHeader] = []
        headers.reserveCapacity(Int(count))
        for _ in 0..<count {
            guard let nameLength = block.readInteger(as: UInt32.self),
                let name = block.readString(length: Int(nameLength)),
                let valueLength = block.readInteger(as: UInt32.self),
                let value = block.readString(length: Int(valueLength))
            else {
                throw .headerBlockMalformed(reason: "truncated name/value pair")
            }
            headers.append(SPDYHeader(name: name.lowercased(), value: value))
        }
        return headers
    }

    /// Writes a header block ready for compression.
    public static func serializeHeaderBlock(_ headers: [SPDYHeader]) -> ByteBuffer {
        var block = ByteBuffer()
        block.writeInteger(UInt32(headers.count))
        for header in headers {
            block.writeInteger(UInt32(header.name.utf8.count))
            block.writeString(header.name.lowercased())
            block.writeInteger(UInt32(header.value.utf8.count))
            block.writeString(header.value)
        }
        return block
    }
}

extension Array where Element == SPDYHeader {
    /// The first value of a header, matched case-insensitively as the kubelet does.
    public func value(_ name: String) -> String? {
        first { $0.name.lowercased() == name }?.value
    }
}
