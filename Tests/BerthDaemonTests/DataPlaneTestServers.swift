import NIOCore
import NIOPosix
import Synchronization

/// What a loopback test server does with each connection, standing in for a pod's container port.
enum TestServerBehavior: Sendable {
    /// Sends `greeting` (if any) on connect, echoes every byte, and answers the client's FIN with its own.
    case echo(greeting: String?)
    /// Reads everything, checking it against the test pattern; on the client's FIN replies
    /// `"<bytes> ok"` or `"<bytes> bad"` and closes.
    case sink
    /// Sends `bytes` of the test pattern on connect, then closes.
    case source(bytes: Int)
}

/// A loopback TCP server for data-plane tests; counts what it accepts.
final class TestServer: Sendable {
    let channel: any Channel
    let address: SocketAddress
    private let acceptedCount = Atomic<Int>(0)
    private let closeFirst: Int

    /// Connections accepted so far.
    var accepted: Int { acceptedCount.load(ordering: .relaxed) }

    private init(channel: any Channel, closeFirst: Int) {
        self.channel = channel
        self.address = channel.localAddress!
        self.closeFirst = closeFirst
    }

    /// Starts a server on 127.0.0.1 with a free port.
    /// - Parameter closeFirst: how many of the first connections to close right after accepting
    ///   (a warm stream that the server cuts while idle).
    static func start(_ behavior: TestServerBehavior, closeFirst: Int = 0) async throws -> TestServer {
        let box = Mutex<TestServer?>(nil)
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelInitializer { child in
                let server = box.withLock { $0 }!
                let index = server.acceptedCount.wrappingAdd(1, ordering: .relaxed).newValue
                if index <= server.closeFirst {
                    return child.close()
                }
                return child.eventLoop.makeCompletedFuture {
                    switch behavior {
                    case .echo(let greeting):
                        try child.pipeline.syncOperations.addHandler(EchoHandler(greeting: greeting))
                    case .sink:
                        try child.pipeline.syncOperations.addHandler(SinkHandler())
                    case .source(let bytes):
                        try child.pipeline.syncOperations.addHandler(SourceHandler(total: bytes))
                    }
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        let server = TestServer(channel: channel, closeFirst: closeFirst)
        box.withLock { $0 = server }
        return server
    }

    func stop() async {
        try? await channel.close()
    }
}

/// The bytes every test sends: a fixed block of prime length repeated, so a dropped, doubled or
/// reordered chunk shows up as a mismatch at its offset.
enum TestPattern {
    static let block: [UInt8] = {
        var state: UInt32 = 0x9E37_79B9
        return (0..<65_521).map { _ in
            state ^= state << 13
            state ^= state >> 17
            state ^= state << 5
            return UInt8(truncatingIfNeeded: state)
        }
    }()

    /// `count` pattern bytes starting at stream offset `offset`.
    static func bytes(at offset: Int, count: Int) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(count)
        var position = offset % block.count
        var left = count
        while left > 0 {
            let run = min(left, block.count - position)
            buffer.writeBytes(block[position..<(position + run)])
            left -= run
            position = 0
        }
        return buffer
    }

    /// Whether `buffer` equals the pattern at stream offset `offset`.
    static func matches(_ buffer: ByteBuffer, at offset: Int) -> Bool {
        buffer.withUnsafeReadableBytes { received in
            var position = offset % block.count
            var index = 0
            return block.withUnsafeBytes { expected in
                while index < received.count {
                    let run = min(received.count - index, block.count - position)
                    if memcmp(received.baseAddress! + index, expected.baseAddress! + position, run) != 0 { return false }
                    index += run
                    position = 0
                }
                return true
            }
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

private final class EchoHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    let greeting: String?

    init(greeting: String?) { self.greeting = greeting }

    func channelActive(context: ChannelHandlerContext) {
        if let greeting {
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: greeting)), promise: nil)
        }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.write(data, promise: nil)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed {
            // With input already shut, NIO turns an output close into a full close that drops
            // queued writes: let them drain first.
            context.writeAndFlush(wrapOutboundOut(ByteBuffer())).assumeIsolated().whenComplete { _ in
                context.close(mode: .output, promise: nil)
            }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }
}

private final class SinkHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    var received = 0
    var intact = true

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        if intact && !TestPattern.matches(buffer, at: received) { intact = false }
        received += buffer.readableBytes
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed {
            let reply = "\(received) \(intact ? "ok" : "bad")"
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: reply))).assumeIsolated().whenComplete { _ in
                context.close(promise: nil)
            }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }
}

/// Writes the pattern while the channel is writable, so the test server itself respects backpressure.
private final class SourceHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    let total: Int
    var sent = 0
    var done = false
    var pumping = false

    init(total: Int) { self.total = total }

    func channelActive(context: ChannelHandlerContext) {
        pump(context: context)
        context.fireChannelActive()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        pump(context: context)
    }

    private func pump(context: ChannelHandlerContext) {
        // Writes and flushes can report writability changes re-entrantly; one pump at a time.
        guard !done, !pumping else { return }
        pumping = true
        repeat {
            while sent < total && context.channel.isWritable {
                let offset = sent
                let count = min(64 * 1024, total - offset)
                sent += count
                context.write(wrapOutboundOut(TestPattern.bytes(at: offset, count: count)), promise: nil)
            }
            context.flush()
        } while sent < total && context.channel.isWritable
        pumping = false
        if sent >= total {
            done = true
            context.writeAndFlush(wrapOutboundOut(ByteBuffer())).assumeIsolated().whenComplete { _ in
                context.close(promise: nil)
            }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }
}
