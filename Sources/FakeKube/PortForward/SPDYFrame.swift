import NIOCore

// SPDY draft 3 frames as the port-forward protocol uses them (docs/port-forward.md, "SPDY framing and header
// compression"). Header blocks are carried already inflated: compression state belongs to the session's codec, not to a
// frame.

/// One header of a SPDY header block. Names are lowercase on the wire.
struct SPDYHeader: Equatable {
    var name: String
    var value: String
}

/// A decoded SPDY/3 frame.
enum SPDYFrame: Equatable {
    case data(streamID: UInt32, fin: Bool, payload: ByteBuffer)
    case synStream(streamID: UInt32, associatedStreamID: UInt32, priority: UInt8, flags: UInt8, headers: [SPDYHeader])
    case synReply(streamID: UInt32, fin: Bool, headers: [SPDYHeader])
    case rstStream(streamID: UInt32, status: UInt32)
    case ping(id: UInt32)
    case goAway(lastGoodStreamID: UInt32, status: UInt32)
    case headers(streamID: UInt32, fin: Bool, headers: [SPDYHeader])
    case windowUpdate(streamID: UInt32, delta: UInt32)
    /// SETTINGS and anything unknown: spdystream ignores them, so do we.
    case ignored(type: UInt16)
}

/// Control frame types and status codes used by the fake kubelet.
enum SPDYConstants {
    static let version: UInt16 = 3
    static let synStream: UInt16 = 1
    static let synReply: UInt16 = 2
    static let rstStream: UInt16 = 3
    static let ping: UInt16 = 6
    static let goAway: UInt16 = 7
    static let headers: UInt16 = 8
    static let windowUpdate: UInt16 = 9
    static let flagFin: UInt8 = 0x01
    static let rstProtocolError: UInt32 = 1
    static let rstCancel: UInt32 = 5
    static let maximumLength = (1 << 24) - 1
}

extension SPDYFrame {
    /// Reads `count, (len, name, len, value)*` with 32-bit lengths (SPDY/3, not SPDY/2's 16-bit).
    static func parseHeaderBlock(_ block: ByteBuffer) throws(PortForwardProtocolError) -> [SPDYHeader] {
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
    static func serializeHeaderBlock(_ headers: [SPDYHeader]) -> ByteBuffer {
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
    func value(_ name: String) -> String? {
        first { $0.name.lowercased() == name }?.value
    }
}
