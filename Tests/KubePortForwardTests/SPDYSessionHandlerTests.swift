import NIOCore
import NIOEmbedded
import SPDY
import Synchronization
import Testing

@testable import KubePortForward

// The session's state machine, frame in → frame out, on an EmbeddedChannel (no codec, no sockets).
@Suite struct SPDYSessionHandlerTests {
    /// Records what reaches a stream channel's pipeline.
    final class Recorder: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        var reads: [String] = []
        var events: [String] = []
        var errors: [any Error] = []
        var inactive = false

        func channelRead(context: ChannelHandlerContext, data: NIOAny) { reads.append(String(buffer: unwrapInboundIn(data))) }
        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if case .inputClosed? = event as? ChannelEvent { events.append("inputClosed") }
        }
        func errorCaught(context: ChannelHandlerContext, error: any Error) { errors.append(error) }
        func channelInactive(context: ChannelHandlerContext) { inactive = true }
    }

    private struct Harness {
        let channel: EmbeddedChannel
        let session: PortForwardSession

        init(maxStreams: Int = 10) throws {
            channel = EmbeddedChannel()
            let gauge = SPDYSessionGauge()
            let handler = SPDYClientSessionHandler(pod: PortForwardPod(namespace: "ns", pod: "p"), maxStreams: maxStreams, gauge: gauge)
            try channel.pipeline.syncOperations.addHandler(handler)
            try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
            session = PortForwardSession(channel: channel, handler: handler, gauge: gauge, transport: .spdy, target: PortForwardPod(namespace: "ns", pod: "p"))
        }

        /// Starts an open; the frames it wrote are returned, the future completes once replies are fed.
        func open(port: Int = 80) throws -> (EventLoopFuture<any Channel>, [SPDYFrame]) {
            let future = session.openStream(port: port) { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(Recorder()) }
            }
            channel.embeddedEventLoop.run()
            return (future, try outbound())
        }

        func outbound() throws -> [SPDYFrame] {
            var frames: [SPDYFrame] = []
            while let frame = try channel.readOutbound(as: SPDYFrame.self) { frames.append(frame) }
            return frames
        }

        func receive(_ frames: SPDYFrame...) throws {
            for frame in frames { try channel.writeInbound(frame) }
            channel.pipeline.fireChannelReadComplete()
            channel.embeddedEventLoop.run()
        }

        /// Opens a stream and accepts it (SYN_REPLY for both ids).
        func accepted(port: Int = 80) throws -> (channel: any Channel, recorder: Recorder, error: UInt32, data: UInt32) {
            let (future, frames) = try open(port: port)
            guard case .synStream(let errorID, _, _, _, _) = frames.first, case .synStream(let dataID, _, _, _, _) = frames.dropFirst().first else {
                throw ChannelError.operationUnsupported
            }
            try receive(.synReply(streamID: errorID, fin: false, headers: []), .synReply(streamID: dataID, fin: false, headers: []))
            let child = try future.wait()
            return (child, try child.pipeline.syncOperations.handler(type: Recorder.self), errorID, dataID)
        }
    }

    private func headers(_ type: String, port: Int, request: Int) -> [SPDYHeader] {
        [SPDYHeader(name: "streamtype", value: type), SPDYHeader(name: "port", value: "\(port)"), SPDYHeader(name: "requestid", value: "\(request)")]
    }

    @Test func aPairIsErrorThenDataThenTheErrorStreamsFIN() throws {
        let harness = try Harness()
        let (_, first) = try harness.open(port: 8080)
        #expect(first == [
            .synStream(streamID: 1, associatedStreamID: 0, priority: 0, flags: 0, headers: headers("error", port: 8080, request: 0)),
            .synStream(streamID: 3, associatedStreamID: 0, priority: 0, flags: 0, headers: headers("data", port: 8080, request: 0)),
            .data(streamID: 1, fin: true, payload: ByteBuffer()),
        ])
        let (_, second) = try harness.open(port: 9090)
        #expect(second.first == .synStream(streamID: 5, associatedStreamID: 0, priority: 0, flags: 0, headers: headers("error", port: 9090, request: 1)))
        #expect(harness.session.openStreamCount == 2)
    }

    @Test func aResetBeforeTheReplyFailsTheOpen() throws {
        let harness = try Harness()
        let (future, _) = try harness.open()
        try harness.receive(.rstStream(streamID: 3, status: SPDYConstants.rstRefusedStream))
        #expect(throws: PortForwardError.streamRefused(pod: "p", port: 80, status: 3)) { _ = try future.wait() }
        #expect(harness.session.openStreamCount == 0)
    }

    @Test func serverResetAndGoAwayCloseTheRightChannels() throws {
        let harness = try Harness()
        let a = try harness.accepted()
        let b = try harness.accepted()
        let c = try harness.accepted()
        #expect((a.data, b.data, c.data) == (3, 7, 11))

        try harness.receive(.rstStream(streamID: a.data, status: SPDYConstants.rstCancel))
        #expect(!a.channel.isActive && a.recorder.inactive)
        #expect(b.channel.isActive && c.channel.isActive)
        // The error stream the server did not end is reset too, so the kubelet drops the pair.
        #expect(try harness.outbound() == [.rstStream(streamID: a.error, status: SPDYConstants.rstCancel)])

        // GOAWAY: streams past the last good one are dead, earlier ones live on; no new streams.
        try harness.receive(.goAway(lastGoodStreamID: b.data, status: 0))
        #expect(!c.channel.isActive && b.channel.isActive)
        #expect(throws: PortForwardError.sessionClosed) { _ = try harness.open().0.wait() }
        #expect(harness.channel.isActive)

        // The last stream's end closes the session's connection.
        b.channel.close(promise: nil)
        harness.channel.embeddedEventLoop.run()
        #expect(try harness.outbound() == [
            .rstStream(streamID: b.error, status: SPDYConstants.rstCancel), .rstStream(streamID: b.data, status: SPDYConstants.rstCancel),
        ])
        #expect(!harness.channel.isActive)
    }

    @Test func serverPingsAreEchoedAndOursAreTimed() throws {
        let harness = try Harness()
        try harness.receive(.ping(id: 2))
        #expect(try harness.outbound() == [.ping(id: 2)])

        let rtt = harness.session.ping(timeout: .seconds(5))
        harness.channel.embeddedEventLoop.run()
        #expect(try harness.outbound() == [.ping(id: 1)])
        try harness.receive(.ping(id: 1))
        #expect(try rtt.wait() >= .zero)

        let lost = harness.session.ping(timeout: .seconds(5))
        harness.channel.embeddedEventLoop.advanceTime(by: .seconds(6))
        #expect(throws: PortForwardError.pingTimedOut) { _ = try lost.wait() }
        #expect(harness.channel.isActive)
    }

    @Test func halfCloseBothWaysEndsThePairWithoutReset() throws {
        let harness = try Harness()
        let s = try harness.accepted()
        s.channel.write(ByteBuffer(string: "request"), promise: nil)
        s.channel.close(mode: .output, promise: nil)
        s.channel.flush()
        harness.channel.embeddedEventLoop.run()
        #expect(try harness.outbound() == [
            .data(streamID: s.data, fin: false, payload: ByteBuffer(string: "request")), .data(streamID: s.data, fin: true, payload: ByteBuffer()),
        ])
        #expect(s.channel.isActive)

        try harness.receive(.data(streamID: s.data, fin: true, payload: ByteBuffer(string: "reply")))
        #expect(s.recorder.reads == ["reply"] && s.recorder.events == ["inputClosed"])
        #expect(s.channel.isActive)  // the error stream is still open
        try harness.receive(.data(streamID: s.error, fin: true, payload: ByteBuffer()))
        #expect(!s.channel.isActive && s.recorder.errors.isEmpty)
        #expect(try harness.outbound() == [])
        #expect(harness.session.openStreamCount == 0)
    }

    /// berth's pump, on the client's EOF, writes nothing to learn when its queued bytes are sent, then half-closes;
    /// on the client's close it closes. That empty write sent an empty DATA frame, and the close then reset the pair
    /// before the half-close went out: two frames and a RST where one FIN ends it.
    @Test func anEmptyWriteSendsNoFrameSoTheHalfCloseEndsThePairBeforeTheClose() throws {
        let harness = try Harness()
        let s = try harness.accepted()
        try harness.receive(
            .data(streamID: s.data, fin: true, payload: ByteBuffer(string: "reply")), .data(streamID: s.error, fin: true, payload: ByteBuffer()))
        let channel = s.channel
        let flushed = channel.writeAndFlush(ByteBuffer())
        let halfClosedFirst = Atomic(false)
        flushed.whenComplete { _ in
            halfClosedFirst.store(true, ordering: .relaxed)
            channel.close(mode: .output, promise: nil)
        }
        let halfClosedAtTheFlush = halfClosedFirst.load(ordering: .relaxed)
        #expect(halfClosedAtTheFlush, "the empty write completes with the flush, before anything else can happen")
        channel.close(promise: nil)
        harness.channel.embeddedEventLoop.run()
        #expect(try harness.outbound() == [.data(streamID: s.data, fin: true, payload: ByteBuffer())])
        #expect(!channel.isActive && harness.session.openStreamCount == 0)
    }

    @Test func errorStreamTextBecomesTheStreamsError() throws {
        let harness = try Harness()
        let s = try harness.accepted()
        try harness.receive(
            .data(streamID: s.error, fin: false, payload: ByteBuffer(string: "error forwarding port 80: ")),
            .data(streamID: s.error, fin: true, payload: ByteBuffer(string: "connection refused")))
        #expect(s.recorder.errors.count == 1)
        #expect(s.recorder.errors.first as? PortForwardError == .remoteError(pod: "p", port: 80, message: "error forwarding port 80: connection refused"))
        #expect(!s.channel.isActive)
        #expect(try harness.outbound() == [.rstStream(streamID: s.data, status: SPDYConstants.rstCancel)])
    }

    @Test func aFullSessionRefusesAndTheConnectionsEndClosesEveryStream() throws {
        let harness = try Harness(maxStreams: 1)
        let s = try harness.accepted()
        #expect(throws: PortForwardError.sessionFull) { _ = try harness.open().0.wait() }
        try harness.channel.close().wait()
        #expect(!s.channel.isActive && s.recorder.inactive)
        #expect(throws: PortForwardError.sessionClosed) { _ = try harness.open().0.wait() }
    }

    @Test func autoReadOffHoldsBytesUntilRead() throws {
        let harness = try Harness()
        let s = try harness.accepted()
        try s.channel.syncOptions?.setOption(.autoRead, value: false)
        try harness.receive(.data(streamID: s.data, fin: false, payload: ByteBuffer(string: "one")))
        // The read issued when the stream went active is used up by "one"; the next bytes wait.
        try harness.receive(.data(streamID: s.data, fin: false, payload: ByteBuffer(string: "two")))
        #expect(s.recorder.reads == ["one"])
        s.channel.read()
        #expect(s.recorder.reads == ["one", "two"])
    }

    /// Keeps every buffer that reaches it, and passes it on.
    final class BufferKeeper: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        var buffers: [ByteBuffer] = []

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            buffers.append(unwrapInboundIn(data))
            context.fireChannelRead(data)
        }
    }

    @Test func piecesHeldForASlowReaderKeepOnlyTheirOwnBytesAlive() throws {
        let harness = try Harness()
        let s = try harness.accepted()
        let keeper = BufferKeeper()
        try s.channel.pipeline.syncOperations.addHandler(keeper, position: .first)
        try s.channel.syncOptions?.setOption(.autoRead, value: false)
        // Each read of the connection is 64 KiB, of which 1,000 bytes are this stream's (the rest other streams').
        let reads = (0..<150).map { index in
            var read = ByteBufferAllocator().buffer(capacity: 64 * 1024)
            read.writeRepeatingByte(UInt8(index % 251), count: 64 * 1024)
            return read
        }
        for read in reads {
            try harness.receive(.data(streamID: s.data, fin: false, payload: read.getSlice(at: 5_000, length: 1_000)!))
        }
        // Then four reads that are a quarter this stream's: worth keeping as they are.
        for read in reads.prefix(4) {
            try harness.receive(.data(streamID: s.data, fin: false, payload: read.getSlice(at: 0, length: 16 * 1024)!))
        }
        s.channel.read()
        #expect(keeper.buffers.count == 154)
        let sent = reads.map { $0.getSlice(at: 5_000, length: 1_000)! } + reads.prefix(4).map { $0.getSlice(at: 0, length: 16 * 1024)! }
        #expect(keeper.buffers == sent)
        // Past 64 KiB buffered, a small piece no longer keeps its whole read alive; a quarter of a read is not copied.
        let keepingTheirRead = keeper.buffers.prefix(150).filter { $0.storageCapacity >= 64 * 1024 }.count
        #expect(keepingTheirRead <= 66, "\(keepingTheirRead) of 150 small pieces kept a whole 64 KiB read alive")
        #expect(keeper.buffers.suffix(4).allSatisfy { $0.storageCapacity >= 64 * 1024 })
    }
}
