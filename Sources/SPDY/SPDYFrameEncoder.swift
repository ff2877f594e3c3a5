import NIOCore

/// Serializes SPDY/3 frames, deflating header blocks with the session's single deflate context.
/// DATA payloads are written as-is after their 8-byte header, never copied.
public final class SPDYFrameEncoder: ChannelOutboundHandler {
    public typealias OutboundIn = SPDYFrame
    public typealias OutboundOut = ByteBuffer

    private let deflater: SPDYHeaderDeflater

    /// Starts the session's context, seeded with the SPDY/3 dictionary, deflating at zlib's `compressionLevel`.
    public init(compressionLevel: Int32 = 9) throws(SPDYError) {
        deflater = try SPDYHeaderDeflater(level: compressionLevel)
    }

    /// Serialises one frame; the promise completes with the frame's last buffer.
    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let frame = unwrapOutboundIn(data)
        do {
            var header = context.channel.allocator.buffer(capacity: 64)
            if let payload = try encode(frame, into: &header) {
                context.write(wrapOutboundOut(header), promise: nil)
                context.write(wrapOutboundOut(payload), promise: promise)
            } else {
                context.write(wrapOutboundOut(header), promise: promise)
            }
        } catch {
            promise?.fail(error)
            context.fireErrorCaught(error)
        }
    }

    /// Writes the frame into `buffer`; returns a DATA payload to be written after it, if any.
    public func encode(_ frame: SPDYFrame, into buffer: inout ByteBuffer) throws(SPDYError) -> ByteBuffer? {
        switch frame {
        case .data(let streamID, let fin, let payload):
            buffer.writeInteger(streamID & 0x7FFF_FFFF)
            buffer.writeInteger(UInt32(fin ? SPDYConstants.flagFin : 0) << 24 | UInt32(payload.readableBytes))
            return payload.readableBytes > 0 ? payload : nil
        case .synStream(let streamID, let associated, let priority, let flags, let headers):
            var body = ByteBuffer()
            body.writeInteger(streamID & 0x7FFF_FFFF)
            body.writeInteger(associated & 0x7FFF_FFFF)
            body.writeInteger(priority << 5)
            body.writeInteger(UInt8(0))
            try deflater.compress(SPDYFrame.serializeHeaderBlock(headers), into: &body)
            writeControl(type: SPDYConstants.synStream, flags: flags, body: body, into: &buffer)
        case .synReply(let streamID, let fin, let headers), .headers(let streamID, let fin, let headers):
            var body = ByteBuffer()
            body.writeInteger(streamID & 0x7FFF_FFFF)
            try deflater.compress(SPDYFrame.serializeHeaderBlock(headers), into: &body)
            var type = SPDYConstants.headers
            if case .synReply = frame { type = SPDYConstants.synReply }
            writeControl(type: type, flags: fin ? SPDYConstants.flagFin : 0, body: body, into: &buffer)
        case .rstStream(let id, let value), .goAway(let id, let value), .windowUpdate(let id, let value):
            var body = ByteBuffer()
            body.writeInteger(id & 0x7FFF_FFFF)
            body.writeInteger(value)
            let type: UInt16 =
                switch frame {
                case .rstStream: SPDYConstants.rstStream
                case .goAway: SPDYConstants.goAway
                default: SPDYConstants.windowUpdate
                }
            writeControl(type: type, flags: 0, body: body, into: &buffer)
        case .ping(let id):
            var body = ByteBuffer()
            body.writeInteger(id)
            writeControl(type: SPDYConstants.ping, flags: 0, body: body, into: &buffer)
        case .ignored:
            break
        }
        return nil
    }

    private func writeControl(type: UInt16, flags: UInt8, body: ByteBuffer, into buffer: inout ByteBuffer) {
        buffer.writeInteger(UInt16(0x8000) | SPDYConstants.version)
        buffer.writeInteger(type)
        buffer.writeInteger(UInt32(flags) << 24 | UInt32(body.readableBytes))
        buffer.writeImmutableBuffer(body)
    }
}
