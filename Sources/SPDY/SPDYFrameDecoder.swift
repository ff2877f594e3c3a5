import NIOCore

/// Parses SPDY/3 frames from a byte stream (a TCP connection, or WebSocket payloads concatenated) and
/// inflates header blocks with the session's single inflate context.
public final class SPDYFrameDecoder: ByteToMessageDecoder {
    public typealias InboundOut = SPDYFrame

    private let inflater: SPDYHeaderInflater

    /// Starts the session's context, seeded with the SPDY/3 dictionary.
    public init() throws(SPDYError) {
        inflater = try SPDYHeaderInflater()
    }

    /// Emits every complete frame in `buffer`.
    public func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let frame = try decodeFrame(&buffer) else { return .needMoreData }
        context.fireChannelRead(wrapInboundOut(frame))
        return .continue
    }

    /// Emits what is complete at EOF.
    public func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        // A partial frame at EOF is just a peer that went away mid-write; drop it.
        while let frame = try decodeFrame(&buffer) {
            context.fireChannelRead(wrapInboundOut(frame))
        }
        return .needMoreData
    }

    /// Decodes one frame when all of it is buffered.
    public func decodeFrame(_ buffer: inout ByteBuffer) throws(SPDYError) -> SPDYFrame? {
        guard let first = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self),
            let flagsAndLength = buffer.getInteger(at: buffer.readerIndex + 4, as: UInt32.self)
        else { return nil }
        let length = Int(flagsAndLength & 0x00FF_FFFF)
        guard buffer.readableBytes >= 8 + length else { return nil }
        buffer.moveReaderIndex(forwardBy: 8)
        let flags = UInt8(flagsAndLength >> 24)
        var payload = buffer.readSlice(length: length)!

        if first & 0x8000_0000 == 0 {
            return .data(streamID: first & 0x7FFF_FFFF, fin: flags & SPDYConstants.flagFin != 0, payload: payload)
        }
        // Any version is accepted, as spdystream does.
        let type = UInt16(first & 0xFFFF)
        let fin = flags & SPDYConstants.flagFin != 0
        switch type {
        case SPDYConstants.synStream:
            guard length >= 10 else { throw .controlFrameTruncated(type: type, length: length) }
            let streamID = payload.readInteger(as: UInt32.self)! & 0x7FFF_FFFF
            let associated = payload.readInteger(as: UInt32.self)! & 0x7FFF_FFFF
            let priority = payload.readInteger(as: UInt8.self)! >> 5
            _ = payload.readInteger(as: UInt8.self)  // slot
            let headers = try SPDYFrame.parseHeaderBlock(inflater.decompress(payload))
            return .synStream(streamID: streamID, associatedStreamID: associated, priority: priority, flags: flags, headers: headers)
        case SPDYConstants.synReply, SPDYConstants.headers:
            guard length >= 4 else { throw .controlFrameTruncated(type: type, length: length) }
            let streamID = payload.readInteger(as: UInt32.self)! & 0x7FFF_FFFF
            let headers = try SPDYFrame.parseHeaderBlock(inflater.decompress(payload))
            return type == SPDYConstants.synReply
                ? .synReply(streamID: streamID, fin: fin, headers: headers)
                : .headers(streamID: streamID, fin: fin, headers: headers)
        case SPDYConstants.rstStream, SPDYConstants.goAway, SPDYConstants.windowUpdate:
            guard length >= 8 else { throw .controlFrameTruncated(type: type, length: length) }
            let id = payload.readInteger(as: UInt32.self)! & 0x7FFF_FFFF
            let value = payload.readInteger(as: UInt32.self)!
            switch type {
            case SPDYConstants.rstStream: return .rstStream(streamID: id, status: value)
            case SPDYConstants.goAway: return .goAway(lastGoodStreamID: id, status: value)
            default: return .windowUpdate(streamID: id, delta: value & 0x7FFF_FFFF)
            }
        case SPDYConstants.ping:
            guard length >= 4 else { throw .controlFrameTruncated(type: type, length: length) }
            return .ping(id: payload.readInteger(as: UInt32.self)!)
        default:
            return .ignored(type: type)
        }
    }
}
