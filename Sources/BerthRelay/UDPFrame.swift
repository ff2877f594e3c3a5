import NIOCore

/// How datagrams travel over a byte stream between berth and its relay (docs/relay.md, "UDP framing"): each
/// datagram is a 2-byte big-endian length followed by that many bytes, in both directions, so datagram
/// boundaries survive a stream that has none.
public enum UDPFrame {
    /// The largest payload a frame can carry (the length is 16 bits; a UDP datagram over IPv4 carries at most
    /// 65,507 bytes anyway).
    public static let maxPayload = Int(UInt16.max)

    /// Appends one frame carrying `payload` to `buffer`.
    /// - Throws: ``UDPFrameError/payloadTooLarge(_:)`` when the payload does not fit a frame.
    public static func write(_ payload: ByteBuffer, to buffer: inout ByteBuffer) throws(UDPFrameError) {
        guard payload.readableBytes <= maxPayload else { throw .payloadTooLarge(payload.readableBytes) }
        buffer.writeInteger(UInt16(payload.readableBytes), endianness: .big)
        buffer.writeImmutableBuffer(payload)
    }

    /// One frame carrying `payload`, in a new buffer from `allocator`.
    public static func frame(_ payload: ByteBuffer, allocator: ByteBufferAllocator) throws(UDPFrameError) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: payload.readableBytes + 2)
        try write(payload, to: &buffer)
        return buffer
    }
}

/// A datagram that cannot be framed.
public enum UDPFrameError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The datagram is longer than a frame can say (65,535 bytes).
    case payloadTooLarge(Int)

    /// What went wrong.
    public var description: String {
        switch self {
        case .payloadTooLarge(let size): "a datagram of \(size) bytes is larger than a frame carries (\(UDPFrame.maxPayload))"
        }
    }
}

/// Splits a byte stream into the payloads of its frames (a 2-byte big-endian length, then the payload); each
/// payload goes on as one `ByteBuffer`, an empty one for an empty datagram. Bytes of an unfinished frame at
/// end of stream are dropped: a datagram arrives whole or not at all.
public struct UDPFrameDecoder: ByteToMessageDecoder {
    /// The payload of one frame.
    public typealias InboundOut = ByteBuffer

    /// A decoder.
    public init() {}

    /// Emits every complete frame's payload.
    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let length = buffer.getInteger(at: buffer.readerIndex, endianness: .big, as: UInt16.self),
            buffer.readableBytes >= 2 + Int(length)
        else { return .needMoreData }
        buffer.moveReaderIndex(forwardBy: 2)
        guard let payload = buffer.readSlice(length: Int(length)) else { return .needMoreData }
        context.fireChannelRead(wrapInboundOut(payload))
        return .continue
    }

    /// At end of stream: what is complete is emitted, a partial frame is dropped.
    public mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        buffer.moveReaderIndex(to: buffer.writerIndex)
        return .needMoreData
    }
}
