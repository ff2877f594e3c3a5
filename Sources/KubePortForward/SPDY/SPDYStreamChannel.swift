import NIOCore
import SPDY
import Synchronization

// One forwarded connection inside a SPDY session, as a child Channel of the session's connection (the
// pattern of swift-nio-http2's stream channels): same event loop and allocator as the parent, ByteBuffers in
// and out. The pair's error stream is internal: its text becomes `PortForwardError.remoteError`.
// docs/port-forward.md ("berth's SPDY client") describes the behaviour this file implements.

/// A forwarded connection: an error stream and a data stream of one `requestid`.
final class SPDYStreamChannel: Channel, ChannelCore, @unchecked Sendable {
    // @unchecked Sendable: every `var` below is read and written only on `eventLoop` (each ChannelCore entry
    // point runs there, and the session handler calls in from its own pipeline, on the same loop). What other
    // threads may read, `isActive` and `isWritable`, are atomics; `_pipeline` is set once, in `init`.

    /// The most inbound bytes one stream buffers before its session stops reading the connection.
    static let inboundBufferLimit = 1 << 20
    /// Buffered inbound bytes past which a piece that keeps far more memory alive than it carries is copied out.
    static let compactionThreshold = 64 * 1024
    /// Unflushed outbound bytes past which the channel reports itself unwritable, and back under which it recovers.
    static let writeWaterMarks = (low: 32 * 1024, high: 64 * 1024)
    /// The most error-stream text kept (kubelet messages are one line).
    static let errorTextLimit = 64 * 1024

    let eventLoop: any EventLoop
    let allocator: ByteBufferAllocator
    let errorStreamID: UInt32
    let dataStreamID: UInt32
    let port: Int
    private let podName: String
    private let session: SPDYClientSessionHandler
    private let closePromise: EventLoopPromise<Void>
    private var _pipeline: ChannelPipeline!
    private let activeFlag = Atomic<Bool>(false)
    private let writableFlag = Atomic<Bool>(true)

    private enum Lifecycle { case opening, active, closed }
    private enum Inbound {
        case data(ByteBuffer)
        case inputClosed
    }

    private var lifecycle = Lifecycle.opening
    private var openPromise: EventLoopPromise<any Channel>?
    private var initialized = false
    private var repliesPending = 2
    private var autoRead = true
    private var allowRemoteHalfClosure = true

    private var pendingReads = CircularBuffer<Inbound>()
    private var unsatisfiedRead = false
    /// Inbound bytes waiting for `read()`; the session pauses its connection while this is over the limit.
    private(set) var bufferedInbound = 0

    private var pendingWrites = CircularBuffer<(buffer: ByteBuffer, fin: Bool, promise: EventLoopPromise<Void>?)>()
    private var bufferedOutbound = 0
    private var flushRequested = false

    private var localFinQueued = false
    private var remoteFinReceived = false
    private var inputClosedDelivered = false
    private var errorStreamEnded = false
    private var dataStreamResetByServer = false
    private var errorText = ByteBuffer()

    init(
        session: SPDYClientSessionHandler,
        parent: any Channel,
        errorStreamID: UInt32,
        dataStreamID: UInt32,
        port: Int,
        podName: String
    ) {
        self.session = session
        self.parent = parent
        self.eventLoop = parent.eventLoop
        self.allocator = parent.allocator
        self.errorStreamID = errorStreamID
        self.dataStreamID = dataStreamID
        self.port = port
        self.podName = podName
        self.closePromise = parent.eventLoop.makePromise()
        self._pipeline = ChannelPipeline(channel: self)
    }

    // MARK: Channel

    let parent: (any Channel)?
    var pipeline: ChannelPipeline { _pipeline }
    var closeFuture: EventLoopFuture<Void> { closePromise.futureResult }
    var localAddress: SocketAddress? { parent?.localAddress }
    var remoteAddress: SocketAddress? { parent?.remoteAddress }
    var isActive: Bool { activeFlag.load(ordering: .acquiring) }
    var isWritable: Bool { writableFlag.load(ordering: .acquiring) }
    var _channelCore: any ChannelCore { self }

    func setOption<Option: ChannelOption>(_ option: Option, value: Option.Value) -> EventLoopFuture<Void> {
        if eventLoop.inEventLoop {
            return eventLoop.makeCompletedFuture { try self.setOption0(option, value: value) }
        }
        return eventLoop.submit { try self.setOption0(option, value: value) }
    }

    func getOption<Option: ChannelOption>(_ option: Option) -> EventLoopFuture<Option.Value> {
        if eventLoop.inEventLoop {
            return eventLoop.makeCompletedFuture { try self.getOption0(option) }
        }
        return eventLoop.submit { try self.getOption0(option) }
    }

    private struct SynchronousOptions: NIOSynchronousChannelOptions {
        let channel: SPDYStreamChannel
        func setOption<Option: ChannelOption>(_ option: Option, value: Option.Value) throws {
            try channel.setOption0(option, value: value)
        }
        func getOption<Option: ChannelOption>(_ option: Option) throws -> Option.Value {
            try channel.getOption0(option)
        }
    }

    var syncOptions: (any NIOSynchronousChannelOptions)? { SynchronousOptions(channel: self) }

    private func setOption0<Option: ChannelOption>(_ option: Option, value: Option.Value) throws {
        eventLoop.preconditionInEventLoop()
        switch option {
        case is ChannelOptions.Types.AutoReadOption:
            // The casts cannot fail: the option's type fixes its value type.
            guard let value = value as? Bool else { throw ChannelError.operationUnsupported }
            let wasOff = !autoRead
            autoRead = value
            if wasOff && value && lifecycle == .active { read0() }
        case is ChannelOptions.Types.AllowRemoteHalfClosureOption:
            guard let value = value as? Bool else { throw ChannelError.operationUnsupported }
            allowRemoteHalfClosure = value
        default:
            throw ChannelError.operationUnsupported
        }
    }

    private func getOption0<Option: ChannelOption>(_ option: Option) throws -> Option.Value {
        eventLoop.preconditionInEventLoop()
        let value: Any
        switch option {
        case is ChannelOptions.Types.AutoReadOption: value = autoRead
        case is ChannelOptions.Types.AllowRemoteHalfClosureOption: value = allowRemoteHalfClosure
        default: throw ChannelError.operationUnsupported
        }
        guard let typed = value as? Option.Value else { throw ChannelError.operationUnsupported }
        return typed
    }

    // MARK: ChannelCore

    func localAddress0() throws -> SocketAddress {
        guard let address = parent?.localAddress else { throw ChannelError.operationUnsupported }
        return address
    }

    func remoteAddress0() throws -> SocketAddress {
        guard let address = parent?.remoteAddress else { throw ChannelError.operationUnsupported }
        return address
    }

    func register0(promise: EventLoopPromise<Void>?) { promise?.succeed() }
    func registerAlreadyConfigured0(promise: EventLoopPromise<Void>?) { promise?.succeed() }
    func bind0(to: SocketAddress, promise: EventLoopPromise<Void>?) { promise?.fail(ChannelError.operationUnsupported) }
    func connect0(to: SocketAddress, promise: EventLoopPromise<Void>?) { promise?.fail(ChannelError.operationUnsupported) }

    func write0(_ data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard lifecycle != .closed else {
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        guard !localFinQueued else {
            promise?.fail(ChannelError.outputClosed)
            return
        }
        let buffer = unwrapData(data, as: ByteBuffer.self)
        pendingWrites.append((buffer, false, promise))
        bufferedOutbound += buffer.readableBytes
        updateWritability()
    }

    func flush0() {
        guard lifecycle == .active else {
            flushRequested = lifecycle == .opening
            return
        }
        guard !pendingWrites.isEmpty else { return }
        var bytes = 0
        var empty: [EventLoopPromise<Void>] = []
        while let write = pendingWrites.popFirst() {
            if write.buffer.readableBytes == 0 && !write.fin {
                // An empty write (a proxy's "tell me when what I queued is sent") needs no frame: what was written
                // before it is in the session's queue now, ahead of anything this stream sends later.
                if let promise = write.promise { empty.append(promise) }
                continue
            }
            bytes += write.buffer.readableBytes
            bufferedOutbound -= write.buffer.readableBytes
            session.writeData(streamID: dataStreamID, write.buffer, fin: write.fin, promise: write.promise)
        }
        // Bytes go at once; a FIN alone can wait for the frames that usually follow it in the same turn of the loop.
        if bytes > 0 { session.flushFromChild() } else { session.flushSoon() }
        updateWritability()
        closeIfBothSidesFinished()
        for promise in empty { promise.succeed() }
    }

    func read0() {
        guard lifecycle != .closed else { return }
        unsatisfiedRead = true
        deliverPendingReads()
    }

    func close0(error: any Error, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        switch mode {
        case .input:
            promise?.fail(ChannelError.operationUnsupported)
        case .output:
            guard lifecycle != .closed else {
                promise?.fail(ChannelError.alreadyClosed)
                return
            }
            guard !localFinQueued else {
                promise?.fail(ChannelError.outputClosed)
                return
            }
            // An empty DATA with FIN after what is already written: the pod sees EOF, the reply still comes.
            localFinQueued = true
            pendingWrites.append((ByteBuffer(), true, promise))
            flush0()
        case .all:
            close(reset: !(localFinQueued && remoteFinReceived), reason: ChannelError.alreadyClosed, promise: promise)
        }
    }

    func triggerUserOutboundEvent0(_ event: Any, promise: EventLoopPromise<Void>?) {
        promise?.fail(ChannelError.operationUnsupported)
    }

    func channelRead0(_ data: NIOAny) {}
    func errorCaught0(error: any Error) {}

    // MARK: Opening (called by the session handler)

    /// Runs the caller's initializer; the channel becomes active once it is done and both streams are accepted.
    func start(initializer: @escaping @Sendable (any Channel) -> EventLoopFuture<Void>, promise: EventLoopPromise<any Channel>) {
        openPromise = promise
        initializer(self).hop(to: eventLoop).assumeIsolated().whenComplete { result in
            switch result {
            case .success:
                self.initialized = true
                self.pipeline.fireChannelRegistered()
                self.activateIfReady()
            case .failure(let error):
                self.close(reset: true, reason: error, promise: nil)
            }
        }
    }

    /// The stream was not accepted in time.
    func openTimedOut() {
        guard lifecycle == .opening else { return }
        close(reset: true, reason: PortForwardError.handshakeIncomplete("the server did not accept the stream in time"), promise: nil)
    }

    private func activateIfReady() {
        guard lifecycle == .opening, initialized, repliesPending == 0 else { return }
        lifecycle = .active
        activeFlag.store(true, ordering: .releasing)
        updateWritability()
        pipeline.fireChannelActive()
        if let promise = openPromise {
            openPromise = nil
            promise.succeed(self)
        }
        guard lifecycle == .active else { return }
        if flushRequested {
            flushRequested = false
            flush0()
        }
        if autoRead { read0() } else { deliverPendingReads() }
        // Error text that ended before activation (a refused dial) is reported now that a pipeline listens.
        if errorStreamEnded { errorStreamFinished() }
    }

    // MARK: Frames from the session

    func receiveReply() {
        repliesPending -= 1
        activateIfReady()
    }

    func receiveData(streamID: UInt32, payload: ByteBuffer, fin: Bool) {
        guard lifecycle != .closed else { return }
        if streamID == errorStreamID {
            var payload = payload
            let room = Self.errorTextLimit - errorText.readableBytes
            if room > 0, let slice = payload.readSlice(length: min(room, payload.readableBytes)) {
                errorText.writeImmutableBuffer(slice)
            }
            if fin {
                errorStreamEnded = true
                errorStreamFinished()
            }
            return
        }
        guard !remoteFinReceived else { return }
        if payload.readableBytes > 0 {
            bufferedInbound += payload.readableBytes
            pendingReads.append(.data(kept(payload)))
        }
        if fin {
            remoteFinReceived = true
            pendingReads.append(.inputClosed)
        }
    }

    /// A piece of a DATA frame is a view of the read it came in, and keeps all of that read's memory alive, however
    /// little of it is this stream's. Once this stream's reader is behind, a piece that keeps more than eight times
    /// its size (and a page) alive is copied out, so what a stream buffers costs at most about eight times
    /// `inboundBufferLimit`, not a whole read per piece. Only small pieces qualify, so a bulk stream that its reader
    /// keeps up with copies next to nothing (the short ends of frames that a read cut).
    private func kept(_ payload: ByteBuffer) -> ByteBuffer {
        guard bufferedInbound > Self.compactionThreshold, payload.storageCapacity > 8 * payload.readableBytes + 4096 else {
            return payload
        }
        var copy = allocator.buffer(capacity: payload.readableBytes)
        copy.writeImmutableBuffer(payload)
        return copy
    }

    func receiveReset(streamID: UInt32, status: UInt32) {
        guard lifecycle != .closed else { return }
        if streamID == errorStreamID { errorStreamEnded = true } else { dataStreamResetByServer = true }
        let reason: any Error =
            lifecycle == .opening
            ? PortForwardError.streamRefused(pod: podName, port: port, status: status)
            : ChannelError.eof
        if !errorText.readableBytesView.isEmpty {
            errorStreamFinished()
        } else {
            close(reset: true, reason: reason, promise: nil)
        }
    }

    /// End of the parent's read burst: hand over what arrived if a read is waiting.
    func parentReadComplete() { deliverPendingReads() }

    /// The session died (connection closed or GOAWAY past this stream): close without sending anything.
    func sessionEnded() {
        close(reset: false, reason: PortForwardError.sessionClosed, promise: nil)
    }

    func parentWritabilityChanged() { updateWritability() }

    // MARK: Internals

    private func errorStreamFinished() {
        guard lifecycle != .opening || errorText.readableBytes == 0 else {
            // Not handed out yet: the open fails with the kubelet's words.
            close(reset: true, reason: remoteError, promise: nil)
            return
        }
        guard lifecycle == .active else { return }
        if errorText.readableBytes > 0 {
            pipeline.fireErrorCaught(remoteError)
            close(reset: true, reason: remoteError, promise: nil)
        } else {
            closeIfBothSidesFinished()
        }
    }

    private var remoteError: PortForwardError {
        .remoteError(pod: podName, port: port, message: String(buffer: errorText))
    }

    private func deliverPendingReads() {
        guard unsatisfiedRead, lifecycle == .active, !pendingReads.isEmpty else { return }
        unsatisfiedRead = false
        while lifecycle == .active, let item = pendingReads.popFirst() {
            switch item {
            case .data(let buffer):
                bufferedInbound -= buffer.readableBytes
                pipeline.fireChannelRead(buffer)
            case .inputClosed:
                inputClosedDelivered = true
                if allowRemoteHalfClosure {
                    pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
                } else {
                    close(reset: !localFinQueued, reason: ChannelError.eof, promise: nil)
                }
            }
        }
        session.childDrained(self)
        guard lifecycle == .active else { return }
        pipeline.fireChannelReadComplete()
        closeIfBothSidesFinished()
        if autoRead && lifecycle == .active { pipeline.read() }
    }

    /// Both FINs are through and the error stream ended: the pair is done, no RST needed.
    private func closeIfBothSidesFinished() {
        guard lifecycle == .active, localFinQueued, pendingWrites.isEmpty, inputClosedDelivered, errorStreamEnded else { return }
        close(reset: false, reason: ChannelError.eof, promise: nil)
    }

    private func updateWritability() {
        let was = writableFlag.load(ordering: .relaxed)
        let parentWritable = parent?.isWritable ?? false
        let underMark = was ? bufferedOutbound <= Self.writeWaterMarks.high : bufferedOutbound <= Self.writeWaterMarks.low
        let now = lifecycle != .closed && underMark && parentWritable
        guard now != was else { return }
        writableFlag.store(now, ordering: .releasing)
        if lifecycle == .active { pipeline.fireChannelWritabilityChanged() }
    }

    private func close(reset: Bool, reason: any Error, promise: EventLoopPromise<Void>?) {
        guard lifecycle != .closed else {
            promise?.fail(ChannelError.alreadyClosed)
            return
        }
        let wasActive = lifecycle == .active
        lifecycle = .closed
        activeFlag.store(false, ordering: .releasing)
        writableFlag.store(false, ordering: .releasing)
        if reset {
            // Only streams the server has not already ended or reset.
            let open = [(errorStreamID, !errorStreamEnded), (dataStreamID, !dataStreamResetByServer)]
            session.resetStreams(open.filter(\.1).map(\.0))
        }
        pendingReads.removeAll()
        bufferedInbound = 0
        session.streamClosed(self)
        let writes = pendingWrites
        pendingWrites.removeAll()
        bufferedOutbound = 0
        for write in writes { write.promise?.fail(ChannelError.ioOnClosedChannel) }
        if let openPromise {
            self.openPromise = nil
            openPromise.fail(reason)
        }
        promise?.succeed()
        if wasActive { pipeline.fireChannelInactive() }
        // As NIO's own channels do: handlers go and closeFuture completes on the next tick, after the
        // inactive event has run everywhere.
        eventLoop.assumeIsolated().execute {
            if self.initialized { self.pipeline.fireChannelUnregistered() }
            self.removeHandlers(pipeline: self.pipeline)
            self.closePromise.succeed()
        }
    }
}
