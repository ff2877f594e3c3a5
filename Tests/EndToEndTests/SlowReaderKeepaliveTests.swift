import BerthTestSupport
import FakeKube
import Foundation
import KubePortForward
import NIOCore
import NIOPosix
import Synchronization
import Testing

@testable import BerthDaemon

/// A real SPDY session that tells how many keepalive PINGs the pool sent it.
private final class WatchedSession: MultiplexedSession {
    let real: PortForwardSession
    /// Each PING sent, as the number sent so far.
    let pings: AsyncStream<Int>
    private let pinged: AsyncStream<Int>.Continuation
    private let sent = Atomic<Int>(0)
    private let closedFlag = Atomic<Bool>(false)

    init(_ real: PortForwardSession) {
        self.real = real
        (pings, pinged) = AsyncStream.makeStream()
        real.closeFuture.whenComplete { _ in
            self.closedFlag.store(true, ordering: .releasing)
            self.pinged.finish()
        }
    }

    var pingsSent: Int { sent.load(ordering: .relaxed) }
    var isClosed: Bool { closedFlag.load(ordering: .acquiring) }
    var eventLoop: any EventLoop { real.eventLoop }
    var openStreamCount: Int { real.openStreamCount }
    var framesReceived: Int { real.framesReceived }
    var readsPausedByBackpressure: Bool { real.readsPausedByBackpressure }
    var closeFuture: EventLoopFuture<Void> { real.closeFuture }

    func openStream(port: Int, initializer: @escaping @Sendable (any Channel) -> EventLoopFuture<Void>) -> EventLoopFuture<any Channel> {
        real.openStream(port: port, initializer: initializer)
    }

    func ping(timeout: TimeAmount) -> EventLoopFuture<TimeAmount> {
        pinged.yield(sent.add(1, ordering: .relaxed).newValue)
        return real.ping(timeout: timeout)
    }

    func close() { real.close() }
}

/// The sessions a pool opened.
private final class Opened: Sendable {
    private let list = Mutex<[WatchedSession]>([])
    func add(_ session: WatchedSession) { list.withLock { $0.append(session) } }
    var all: [WatchedSession] { list.withLock { $0 } }
}

/// The `source` behaviour's bytes, 0, 1, …, 255, 0, …, one comparison window and one cycle long.
private let sourceWindow = 1 << 16
private let sourcePattern = (0..<(sourceWindow + 256)).map { UInt8(truncatingIfNeeded: $0) }

/// Whether `buffer` holds the `source` behaviour's bytes that start `offset` bytes into the stream.
private func continuesSource(_ buffer: ByteBuffer, at offset: Int) -> Bool {
    let (window, pattern) = (sourceWindow, sourcePattern)
    return buffer.withUnsafeReadableBytes { bytes in
        pattern.withUnsafeBytes { expected in
            var done = 0
            while done < bytes.count {
                let length = min(bytes.count - done, window)
                let start = (offset + done) % 256
                if memcmp(bytes.baseAddress! + done, expected.baseAddress! + start, length) != 0 { return false }
                done += length
            }
            return true
        }
    }
}

/// A slow local reader pauses its whole SPDY session (backpressure, docs/port-forward.md): the keepalive
/// must not take the unanswered PINGs of that pause for a dead peer, and warm streams nobody reads must not
/// become such a reader (docs/data-plane.md, "Warm streams").
@Suite(.timeLimit(.minutes(1)))
struct SlowReaderKeepaliveTests {
    static let scenario = Scenario(pods: [
        .init(name: "talker", containers: [.init(name: "c", ports: [.init(name: "src", containerPort: 7001, behaviour: .source)])])
    ])

    @Test func aReaderThatPausesItsSessionPastTwoKeepaliveIntervalsLosesNeitherBytesNorTheSession() async throws {
        try await Self.withCluster { clusters in
            let interval = TimeAmount.milliseconds(100)
            let pool = SessionPool(settings: SessionSettings(pingInterval: interval), logger: Harness.quiet)
            do {
                let cluster = try await clusters.cluster(context: nil)
                let loop = MultiThreadedEventLoopGroup.singleton.next()
                let dialer = try await PortForwardUpstreamConnector(forward: "t", connection: cluster.connectionInfo, logger: Harness.quiet)
                    .makeDialer(on: loop)
                let opened = Opened()
                let open: SessionPool.Open = {
                    let session = WatchedSession(try await dialer.openSession(
                        to: PortForwardPod(namespace: "default", pod: "talker"), transport: .spdy, on: loop, maxStreams: 10))
                    opened.add(session)
                    return session
                }
                let key = SessionKey(cluster: cluster.id, namespace: "default", pod: "talker", podUID: "uid-talker", loop: loop)
                let wrapped = loop.makePromise(of: NIOAsyncChannel<ByteBuffer, ByteBuffer>.self)
                _ = try await pool.openStream(key, port: 7001, open: open) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        wrapped.succeed(try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel))
                    }
                }
                let stream = try await wrapped.futureResult.get()
                let session = try #require(opened.all.first)

                let total = 8 << 20
                try await stream.executeThenClose { inbound, _ in
                    var bytes = inbound.makeAsyncIterator()
                    var received = 0
                    func read(upTo count: Int) async throws {
                        while received < count, let chunk = try await bytes.next() {
                            #expect(continuesSource(chunk, at: received), "bytes \(received)… are the source's, in order")
                            received += chunk.readableBytes
                        }
                    }
                    try await read(upTo: 1 << 20)

                    // The reader stops: its stream's buffer fills and the session stops reading its connection.
                    try await eventually("the session's reads to pause") { session.readsPausedByBackpressure }
                    // Four keepalive intervals pass while it is paused (twice what closes a silent session), unless
                    // the pool closes the session first.
                    let pausedAt = session.pingsSent
                    let keptOpen = await withTaskGroup(of: Bool.self) { group in
                        group.addTask {
                            for await count in session.pings where count >= pausedAt + 4 { return true }
                            return false  // the session closed
                        }
                        let result = await group.next() ?? false
                        group.cancelAll()
                        return result
                    }
                    #expect(keptOpen, "a session paused by its slow reader is not closed as dead")
                    #expect(session.readsPausedByBackpressure, "the pause lasted the four intervals")

                    // The reader reads on: every byte arrives, in order, on the same session.
                    try await read(upTo: total)
                    #expect(received >= total)
                }
                #expect(!session.isClosed)
                #expect(opened.all.count == 1)
                #expect(pool.sessionCount == 1)
            } catch {
                pool.shutdown()
                throw error
            }
            pool.shutdown()
        }
    }

    @Test func warmStreamsToAPodThatTalksUnaskedNeverStallTheSessionOfItsConnections() async throws {
        try await Self.withCluster { clusters in
            let cluster = try await clusters.cluster(context: nil)
            let v4 = PortForwardUpstreamConnector(forward: "talker", connection: cluster.connectionInfo, logger: Harness.quiet)
            let connector = NegotiatingUpstreamConnector(
                forward: "talker", cluster: cluster.id, choice: .spdy, v4: v4, sessions: clusters.sessions,
                memory: clusters.transports, logger: Harness.quiet)
            let listener = try await ForwardListener.bind(host: "127.0.0.1", port: 0, eventLoop: MultiThreadedEventLoopGroup.singleton.next())
            let forward = Forward(
                listener: listener, configuration: ForwardConfiguration(name: "talker", warmStreams: 3), connector: connector,
                logger: Harness.quiet)
            await forward.setEndpoint(UpstreamEndpoint(namespace: "default", podName: "talker", podUID: "uid-talker", port: 7001))
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await forward.run() }
                defer { group.cancelAll() }
                // The pod streams into every warm stream the moment it opens, and nobody reads those: kept, they
                // would fill their buffers and stop the session's reads, this download's included.
                let received = try await Self.download(from: forward.port, bytes: 4 << 20, within: .seconds(15))
                #expect(received >= 4 << 20)
                #expect(await forward.counters().warmStreamsReady == 0, "no warm streams to a pod that talks unasked")
                #expect(clusters.sessions.sessionCount == 1)
            }
        }
    }

    /// Reads `bytes` of the `source` pattern from a local port, checking every byte; fails after `limit`.
    private static func download(from port: Int, bytes total: Int, within limit: Duration) async throws -> Int {
        let client = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel) }
            }
        return try await client.executeThenClose { inbound, _ in
            try await withThrowingTaskGroup(of: Int?.self) { group in
                group.addTask {
                    var received = 0
                    for try await chunk in inbound {
                        #expect(continuesSource(chunk, at: received), "bytes \(received)… are the source's, in order")
                        received += chunk.readableBytes
                        if received >= total { break }
                    }
                    return received
                }
                group.addTask {
                    try await Task.sleep(for: limit)  // a deadline, not a synchronisation
                    return nil
                }
                let first = try await group.next() ?? nil
                group.cancelAll()
                return try #require(first, "\(total) bytes within \(limit)")
            }
        }
    }

    /// An in-process FakeKube with `talker`, and a cluster registry on its kubeconfig, while `body` runs.
    private static func withCluster(_ body: (ClusterRegistry) async throws -> Void) async throws {
        let server = try await FakeKubeServer.start(scenario: scenario, logger: Harness.quiet)
        let kubeconfig = FileManager.default.temporaryDirectory.appendingPathComponent("berth-talker-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: kubeconfig) }
        let clusters = ClusterRegistry(kubeconfig: kubeconfig, context: nil, environment: [:], logger: Harness.quiet)
        do {
            try server.writeKubeconfig(to: kubeconfig)
            try await body(clusters)
        } catch {
            await clusters.shutdown()
            await server.shutdown()
            throw error
        }
        await clusters.shutdown()
        await server.shutdown()
    }
}
