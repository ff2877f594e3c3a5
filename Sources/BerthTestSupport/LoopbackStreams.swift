import NIOCore
import NIOPosix

/// Deterministic pseudo-random bytes (xorshift), so a corrupted, dropped or reordered byte is caught and a
/// mismatch is reproducible. Written a word at a time through a raw pointer: byte by byte, a debug build
/// spends seconds on 64 MiB.
public func testPayload(size: Int, seed: UInt64) -> ByteBuffer {
    var buffer = ByteBuffer()
    var state = seed | 1
    buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: size + 8) { raw in
        let words = raw.bindMemory(to: UInt64.self)
        for index in 0..<((size + 7) / 8) {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            words[index] = state
        }
        return size
    }
    return buffer
}

/// A TCP connection to 127.0.0.1:`port` whose outbound `finish()` sends a FIN (half-close), and that reads on
/// after the peer's FIN.
public func connectLoopback(port: Int) async throws -> NIOAsyncChannel<ByteBuffer, ByteBuffer> {
    try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .channelOption(.allowRemoteHalfClosure, value: true)
        .connect(host: "127.0.0.1", port: port) { channel in
            channel.eventLoop.makeCompletedFuture {
                try NIOAsyncChannel<ByteBuffer, ByteBuffer>(
                    wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
            }
        }
}

/// Sends `payload` on `stream` (in 256 KiB writes) while reading, half-closes, and returns everything read
/// until the peer's FIN; the stream is closed afterwards. Writing and reading run at once: an echo answers
/// while the write goes on, and NIO's async channel applies backpressure both ways.
public func echoRoundTrip(_ stream: NIOAsyncChannel<ByteBuffer, ByteBuffer>, payload: ByteBuffer) async throws -> ByteBuffer {
    try await stream.executeThenClose { inbound, outbound in
        try await withThrowingTaskGroup(of: ByteBuffer?.self) { group in
            group.addTask {
                var rest = payload
                while rest.readableBytes > 0, let chunk = rest.readSlice(length: min(256 * 1024, rest.readableBytes)) {
                    try await outbound.write(chunk)
                }
                outbound.finish()
                return nil
            }
            group.addTask {
                var received = ByteBuffer()
                received.reserveCapacity(payload.readableBytes)
                for try await var chunk in inbound { received.writeBuffer(&chunk) }
                return received
            }
            var received = ByteBuffer()
            for try await result in group { if let result { received = result } }
            return received
        }
    }
}

/// `echoRoundTrip` over a new connection to 127.0.0.1:`port` (a forwarded local port, say).
public func echoThroughLocalPort(_ port: Int, payload: ByteBuffer) async throws -> ByteBuffer {
    try await echoRoundTrip(connectLoopback(port: port), payload: payload)
}
