import NIOCore

/// Splits a byte stream into `\n`-terminated lines, refusing lines longer than a limit.
///
/// The limit keeps a misbehaving peer from growing the buffer without bound; NIOExtras' line decoder has none.
struct LineFrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer

    let maxLineLength: Int

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let newline = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) else {
            if buffer.readableBytes > maxLineLength { throw BerthDaemonError.controlMessageTooLong(limit: maxLineLength) }
            return .needMoreData
        }
        let length = newline - buffer.readerIndex
        guard length <= maxLineLength else { throw BerthDaemonError.controlMessageTooLong(limit: maxLineLength) }
        let line = buffer.readSlice(length: length)!
        buffer.moveReaderIndex(forwardBy: 1)
        context.fireChannelRead(wrapInboundOut(line))
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        // A trailing partial line at EOF is an incomplete message: drop it.
        while try decode(context: context, buffer: &buffer) == .continue {}
        return .needMoreData
    }
}
