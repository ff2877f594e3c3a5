import NIOCore

extension Channel {
    /// Half-closes once every write queued before it is in the socket. A plain `close(mode: .output)` on a channel
    /// whose input has already ended is made a full close by NIO, and that drops the writes still queued: an echo
    /// answering a client that half-closed would lose the end of its answer.
    func closeOutputOnceWritten() {
        let written = eventLoop.makePromise(of: Void.self)
        writeAndFlush(ByteBuffer(), promise: written)
        written.futureResult.whenComplete { _ in self.close(mode: .output, promise: nil) }
    }
}
