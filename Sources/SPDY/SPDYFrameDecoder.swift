import NIOCore

/// Parses SPDY/3 frames from a byte stream (a TCP connection, or WebSocket payloads concatenated) and
/// inflates header blocks with the session's single inflate context.
///
/// With `streamsData` (berth's client), a DATA frame's payload is handed on as it arrives, as DATA frames of the
/// same stream whose last piece alone carries the FIN: a frame that spans two reads is never gathered into one
/// buffer, so the bytes a pod sends are not copied on their way through (gathering them cost a copy, and a fresh
/// allocation, per read). Without it (FakeKube, as the kubelet's spdystream) every frame is handed on whole.
public final class SPDYFrameDecoder: ByteToMessageDecoder {
    public typealias InboundOut = SPDYFrame

    private let inflater: SPDYHeaderInflater
    /// A DATA frame whose payload is still arriving.
    private struct DataInProgress {
        let streamID: UInt32
        let fin: Bool
        /// Payload bytes still to come.
        var remaining: Int
    }

    private var dataInProgress: DataInProgress?
    private let streamsData: Bool

    /// Starts the session's context, seeded with the SPDY/3 dictionary.
    /// - Parameter streamsData: hand DATA payloads on as they arrive rather than as whole frames.
    public init(streamsData: Bool = false) throws(SPDYError) {
        inflater = try SPDYHeaderInflater()
        self.streamsData = streamsData
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

    /// Decodes one frame when all of it is buffered, or (with `streamsData`) what has arrived of a DATA frame's payload.
    public func decodeFrame(_ buffer: inout ByteBuffer) throws(SPDYError) -> SPDYFrame? {
        if let data = dataInProgress { return continueData(data, &buffer) }
        guard let first = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self),
            let flagsAndLength = buffer.getInteger(at: buffer.readerIndex + 4, as: UInt32.self)
        else { return nil }
        let length = Int(flagsAndLength & 0x00FF_FFFF)
        let flags = UInt8(flagsAndLength >> 24)
        if first & 0x8000_0000 == 0, streamsData {
            buffer.moveReaderIndex(forwardBy: 8)
            let data = DataInProgress(streamID: first & 0x7FFF_FFFF, fin: flags & SPDYConstants.flagFin != 0, remaining: length)
            guard length > 0 else { return .data(streamID: data.streamID, fin: data.fin, payload: ByteBuffer()) }
            dataInProgress = data
            return continueData(data, &buffer)
        }
        guard buffer.readableBytes >= 8 + length else { return nil }
        buffer.moveReaderIndex(forwardBy: 8)
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

    /// Hands on what has arrived of the current DATA frame's payload; the FIN goes with its last byte.
    private func continueData(_ data: DataInProgress, _ buffer: inout ByteBuffer) -> SPDYFrame? {
        let count = min(buffer.readableBytes, data.remaining)
        guard count > 0 else { return nil }
        let payload = buffer.readSlice(length: count)!
        var rest = data
        rest.remaining -= count
        dataInProgress = rest.remaining == 0 ? nil : rest
        return .data(streamID: data.streamID, fin: data.fin && rest.remaining == 0, payload: payload)
    }
}
