import NIOCore
import NIOWebSocket

// The tunnel's inbound side (docs/port-forward.md, "berth's SPDY client"). NIO's WebSocket frame decoder hands
// on whole frames only, so a frame that two reads cut had its bytes gathered into a new buffer: a copy of nearly
// every byte a pod sent, and a fresh allocation (and its page faults) per read. This reader hands a data frame's
// payload on in the pieces the reads cut it into; only headers and control frames, a few bytes each, are gathered.

/// Reads the WebSocket frames a server sends, as they arrive.
struct WebSocketFrameStreamReader {
    enum Event: Equatable {
        /// Payload bytes of a data frame (binary, text, continuation or an unknown non-control opcode).
        case data(opcode: WebSocketOpcode, bytes: ByteBuffer)
        /// A whole control frame (close, ping, pong or an unknown control opcode).
        case control(opcode: WebSocketOpcode, body: ByteBuffer)
    }

    /// Why a frame was refused; each closes the tunnel.
    enum Failure: Error, Equatable, CustomStringConvertible {
        case reservedBitsSet
        case maskedByServer
        case controlFrameTooLong(Int)
        case controlFrameFragmented
        case lengthTooLarge

        var description: String {
            switch self {
            case .reservedBitsSet: "a WebSocket frame with reserved bits set (no extension was negotiated)"
            case .maskedByServer: "a masked WebSocket frame from the server"
            case .controlFrameTooLong(let length): "a WebSocket control frame of \(length) bytes (at most 125)"
            case .controlFrameFragmented: "a fragmented WebSocket control frame"
            case .lengthTooLarge: "a WebSocket frame length with its top bit set"
            }
        }
    }

    private enum State {
        case header
        case data(opcode: WebSocketOpcode, remaining: Int)
        case control(opcode: WebSocketOpcode, remaining: Int)
    }

    private var state = State.header
    /// Header bytes a read cut off (at most 14), and a control frame's body so far.
    private var gathered = ByteBuffer()

    /// The next event from `buffer`, consuming what it reads; `nil` once `buffer` holds no more of one.
    mutating func next(_ buffer: inout ByteBuffer) throws(Failure) -> Event? {
        while true {
            switch state {
            case .header:
                guard let (opcode, length) = try readHeader(&buffer) else { return nil }
                if opcode.isControlOpcode {
                    guard length > 0 else { return .control(opcode: opcode, body: ByteBuffer()) }
                    state = .control(opcode: opcode, remaining: length)
                } else {
                    // An empty data frame still says what it is (an empty text message is still text).
                    guard length > 0 else { return .data(opcode: opcode, bytes: ByteBuffer()) }
                    state = .data(opcode: opcode, remaining: length)
                }
            case .data(let opcode, let remaining):
                let count = min(remaining, buffer.readableBytes)
                guard count > 0 else { return nil }
                state = count == remaining ? .header : .data(opcode: opcode, remaining: remaining - count)
                return .data(opcode: opcode, bytes: buffer.readSlice(length: count)!)
            case .control(let opcode, let remaining):
                let count = min(remaining, buffer.readableBytes)
                guard count > 0 else { return nil }
                var piece = buffer.readSlice(length: count)!
                gathered.writeBuffer(&piece)
                if count < remaining {
                    state = .control(opcode: opcode, remaining: remaining - count)
                    return nil
                }
                state = .header
                defer { gathered.clear() }
                return .control(opcode: opcode, body: gathered)
            }
        }
    }

    /// Reads a frame header: straight from `buffer` when it is all there, else gathered across reads.
    private mutating func readHeader(_ buffer: inout ByteBuffer) throws(Failure) -> (WebSocketOpcode, Int)? {
        if gathered.readableBytes == 0, let length = Self.headerLength(buffer), buffer.readableBytes >= length {
            return try Self.parseHeader(&buffer)
        }
        while true {
            let length = Self.headerLength(gathered) ?? 2
            if gathered.readableBytes >= length { break }
            let count = min(length - gathered.readableBytes, buffer.readableBytes)
            guard count > 0 else { return nil }
            var piece = buffer.readSlice(length: count)!
            gathered.writeBuffer(&piece)
        }
        defer { gathered.clear() }
        return try Self.parseHeader(&gathered)
    }

    /// A header's length in bytes, once its first two bytes are there.
    private static func headerLength(_ buffer: ByteBuffer) -> Int? {
        guard let second = buffer.getInteger(at: buffer.readerIndex + 1, as: UInt8.self) else { return nil }
        let extended = switch second & 0x7F {
        case 126: 2
        case 127: 8
        default: 0
        }
        return 2 + extended + (second & 0x80 != 0 ? 4 : 0)
    }

    private static func parseHeader(_ buffer: inout ByteBuffer) throws(Failure) -> (WebSocketOpcode, Int) {
        let first = buffer.readInteger(as: UInt8.self)!
        let second = buffer.readInteger(as: UInt8.self)!
        guard first & 0x70 == 0 else { throw .reservedBitsSet }
        // RFC 6455 §5.1: a client closes the connection on a masked frame from the server.
        guard second & 0x80 == 0 else { throw .maskedByServer }
        let opcode = WebSocketOpcode(encodedWebSocketOpcode: first & 0x0F)!
        let length: Int
        switch second & 0x7F {
        case 126: length = Int(buffer.readInteger(as: UInt16.self)!)
        case 127:
            let wide = buffer.readInteger(as: UInt64.self)!
            guard wide >> 63 == 0 else { throw .lengthTooLarge }
            length = Int(wide)
        case let short: length = Int(short)
        }
        if opcode.isControlOpcode {
            guard first & 0x80 != 0 else { throw .controlFrameFragmented }
            guard length <= 125 else { throw .controlFrameTooLong(length) }
        }
        return (opcode, length)
    }
}
