import BerthRelay
import BerthTestSupport
import NIOCore
import NIOPosix

/// Local backends for the relay's targets: a TCP echo server that echoes a half-close, and a UDP echo server.
enum Backends {
    typealias Stream = NIOAsyncChannel<ByteBuffer, ByteBuffer>

    /// Echoes every connection's bytes and half-closes once the peer has; runs until the task is cancelled.
    static func tcpEcho() async throws -> (port: Int, task: Task<Void, Never>) {
        try await tcpServer { _, connection in
            try? await connection.executeThenClose { input, output in
                for try await buffer in input { try await output.write(buffer) }
                // Everything in the socket before the half-close, which NIO makes a full close (dropping what is
                // still queued) once the peer has half-closed.
                try await connection.channel.writeAndFlush(ByteBuffer())
                output.finish()
            }
        }
    }

    /// Sends the first `sizes[n]` bytes of `payload` on the n-th connection it accepts, and closes it once they are
    /// all written to the socket.
    static func tcpSender(payload: ByteBuffer, sizes: [Int]) async throws -> (port: Int, task: Task<Void, Never>) {
        try await tcpServer { index, connection in
            let size = sizes[index % sizes.count]
            // Straight to the channel: its future completes once the bytes are in the socket.
            try? await connection.channel.writeAndFlush(payload.getSlice(at: payload.readerIndex, length: size)!)
            try? await connection.channel.close()
        }
    }

    /// A loopback TCP server that runs `serve` on each connection it accepts (numbered from 0) until the task is
    /// cancelled.
    private static func tcpServer(
        serve: @escaping @Sendable (Int, Stream) async -> Void
    ) async throws -> (port: Int, task: Task<Void, Never>) {
        let listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .bind(host: "127.0.0.1", port: 0) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try Stream(wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
                }
            }
        let port = listener.channel.localAddress?.port ?? 0
        let task = Task<Void, Never> {
            _ = try? await listener.executeThenClose { inbound in
                try await withThrowingDiscardingTaskGroup { group in
                    var index = 0
                    for try await connection in inbound {
                        let number = index
                        index += 1
                        group.addTask { await serve(number, connection) }
                    }
                }
            }
        }
        return (port, task)
    }

    /// Sends every datagram back to where it came from; runs until the task is cancelled.
    static func udpEcho() async throws -> (port: Int, task: Task<Void, Never>) {
        let socket = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 65536))
            .bind(host: "127.0.0.1", port: 0) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<AddressedEnvelope<ByteBuffer>, AddressedEnvelope<ByteBuffer>>(wrappingChannelSynchronously: channel)
                }
            }
        let port = socket.channel.localAddress?.port ?? 0
        let task = Task<Void, Never> {
            _ = try? await socket.executeThenClose { inbound, outbound in
                for try await datagram in inbound { try await outbound.write(datagram) }
            }
        }
        return (port, task)
    }

    /// A connection to a relay's `--tcp` port; `receiveBuffer` sets SO_RCVBUF before connecting.
    static func connect(port: Int, receiveBuffer: Int? = nil) async throws -> Stream {
        var bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.allowRemoteHalfClosure, value: true)
        if let receiveBuffer {
            bootstrap = bootstrap.channelOption(.socketOption(.so_rcvbuf), value: .init(receiveBuffer))
        }
        return try await bootstrap
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try Stream(wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
                }
            }
    }

    /// A connection to a relay's `--udp` port, reading whole frames.
    static func connectFramed(port: Int) async throws -> Stream {
        try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(UDPFrameDecoder()))
                    return try Stream(wrappingChannelSynchronously: channel)
                }
            }
    }
}

/// 64 KiB of patterned bytes that test payloads are cut from (cheap to slice and compare in a debug build).
let pattern: [UInt8] = (0..<65536).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ $0 >> 9) }

/// A datagram's payload, distinct per sender and index, of the given size: the sender's byte, then a slice of
/// ``pattern`` starting where the index says.
func datagram(sender: UInt8, index: Int, size: Int) -> ByteBuffer {
    var buffer = ByteBuffer()
    buffer.writeInteger(sender)
    let start = index % 1024
    buffer.writeBytes(pattern[start..<(start + size - 1)])
    return buffer
}
