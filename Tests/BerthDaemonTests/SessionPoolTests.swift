import BerthDaemon
import Logging
import NIOCore
import NIOPosix
import Synchronization
import Testing

/// A multiplexed session whose streams are real (UDP) channels on its loop and whose PINGs can stop.
private final class FakeSession: MultiplexedSession {
    struct PingTimeout: Error {}

    let eventLoop: any EventLoop
    let answersPings = Atomic<Bool>(true)
    private let closed = Atomic<Bool>(false)
    private let streams = Atomic<Int>(0)
    private let promise: EventLoopPromise<Void>

    init(loop: any EventLoop) {
        eventLoop = loop
        promise = loop.makePromise()
    }

    var openStreamCount: Int { streams.load(ordering: .relaxed) }
    var framesReceived: Int { 0 }
    var readsPausedByBackpressure: Bool { false }
    var closeFuture: EventLoopFuture<Void> { promise.futureResult }
    var isClosed: Bool { closed.load(ordering: .relaxed) }

    func openStream(port: Int, initializer: @escaping @Sendable (any Channel) -> EventLoopFuture<Void>) -> EventLoopFuture<any Channel> {
        guard !isClosed else { return eventLoop.makeFailedFuture(ChannelError.ioOnClosedChannel) }
        return DatagramBootstrap(group: eventLoop).bind(host: "127.0.0.1", port: 0).flatMap { channel in
            self.streams.add(1, ordering: .relaxed)
            channel.closeFuture.whenComplete { _ in self.streams.subtract(1, ordering: .relaxed) }
            self.closeFuture.whenComplete { _ in channel.close(promise: nil) }
            return initializer(channel).map { channel as any Channel }
        }
    }

    func ping(timeout: TimeAmount) -> EventLoopFuture<TimeAmount> {
        if answersPings.load(ordering: .relaxed) { return eventLoop.makeSucceededFuture(.milliseconds(1)) }
        return eventLoop.scheduleTask(in: timeout) { () throws -> TimeAmount in throw PingTimeout() }.futureResult
    }

    func close() {
        guard closed.compareExchange(expected: false, desired: true, ordering: .relaxed).exchanged else { return }
        promise.succeed(())
    }
}

/// Counts and hands out the sessions a pool opens.
private final class Opener: Sendable {
    let loop: any EventLoop
    private let made = Mutex<[FakeSession]>([])
    private let failures = Atomic<Int>(0)

    init(loop: any EventLoop) { self.loop = loop }

    var sessions: [FakeSession] { made.withLock { $0 } }

    /// The next `count` opens fail.
    func fail(next count: Int) { failures.store(count, ordering: .relaxed) }

    var open: SessionPool.Open {
        { [self] in
            if failures.load(ordering: .relaxed) > 0 {
                failures.subtract(1, ordering: .relaxed)
                throw ChannelError.connectTimeout(.seconds(1))
            }
            let session = FakeSession(loop: loop)
            made.withLock { $0.append(session) }
            return session
        }
    }
}

@Suite(.timeLimit(.minutes(1)))
struct SessionPoolTests {
    private let loop = MultiThreadedEventLoopGroup.singleton.next()
    private var key: SessionKey { SessionKey(cluster: "kind", namespace: "shop", pod: "web-0", podUID: "uid-1", loop: loop) }

    private func pool(maxStreams: Int = 100, pingInterval: TimeAmount = .seconds(60)) -> SessionPool {
        SessionPool(settings: SessionSettings(maxStreams: maxStreams, pingInterval: pingInterval), logger: Logger(label: "test"))
    }

    private func stream(_ pool: SessionPool, _ opener: Opener, key: SessionKey? = nil) async throws -> any Channel {
        try await pool.openStream(key ?? self.key, port: 80, open: opener.open) { $0.eventLoop.makeSucceededVoidFuture() }
    }

    @Test func streamsToOnePodShareOneSessionAndConcurrentCallersOneOpening() async throws {
        let pool = pool()
        let opener = Opener(loop: loop)
        let channels = try await withThrowingTaskGroup(of: (any Channel).self) { group in
            for _ in 0..<6 { group.addTask { try await stream(pool, opener) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(opener.sessions.count == 1)
        #expect(pool.usage(cluster: "kind", podUID: "uid-1") == SessionUsage(sessions: 1, streams: 6))
        #expect(channels.allSatisfy { $0.eventLoop === loop })
        let other = SessionKey(cluster: "kind", namespace: "shop", pod: "web-1", podUID: "uid-2", loop: loop)
        _ = try await stream(pool, opener, key: other)
        #expect(opener.sessions.count == 2, "another pod gets its own session")
        pool.shutdown()
    }

    @Test func aFullSessionOverflowsIntoASecondAndClosedStreamsFreeRoom() async throws {
        let pool = pool(maxStreams: 2)
        let opener = Opener(loop: loop)
        let first = try await stream(pool, opener)
        _ = try await stream(pool, opener)
        _ = try await stream(pool, opener)
        #expect(opener.sessions.count == 2)
        #expect(pool.usage(cluster: "kind", podUID: "uid-1") == SessionUsage(sessions: 2, streams: 3))
        try await first.close()
        _ = try await stream(pool, opener)
        #expect(opener.sessions.count == 2, "the freed slot in the first session is used")
        pool.shutdown()
    }

    @Test func aFailedOpeningReachesTheCallerAndTheNextCallOpensAgain() async throws {
        let pool = pool()
        let opener = Opener(loop: loop)
        opener.fail(next: 1)
        await #expect(throws: ChannelError.self) { try await stream(pool, opener) }
        _ = try await stream(pool, opener)
        #expect(opener.sessions.count == 1)
        pool.shutdown()
    }

    @Test func aSessionWhosePingsStopIsClosedWithItsStreamsAndReplaced() async throws {
        let pool = pool(pingInterval: .milliseconds(50))
        let opener = Opener(loop: loop)
        let open = try await stream(pool, opener)
        let dead = try #require(opener.sessions.first)
        dead.answersPings.store(false, ordering: .relaxed)
        try await dead.closeFuture.get()
        try await open.closeFuture.get()
        #expect(pool.sessionCount == 0)
        _ = try await stream(pool, opener)
        #expect(opener.sessions.count == 2)
        #expect(opener.sessions.last?.isClosed == false)
        pool.shutdown()
    }

    @Test func anAnsweringSessionWithAStreamStaysOpenAndAnIdleOneCloses() async throws {
        let pool = pool(pingInterval: .milliseconds(20))
        let opener = Opener(loop: loop)
        let open = try await stream(pool, opener)
        let session = try #require(opener.sessions.first)
        // Ten intervals of answered PINGs with a stream open: still there.
        try await loop.scheduleTask(in: .milliseconds(200)) {}.futureResult.get()
        #expect(!session.isClosed)
        try await open.close()
        try await session.closeFuture.get()
        #expect(pool.sessionCount == 0)
    }

    @Test func probingAfterANetworkChangeClosesSessionsThatDoNotAnswer() async throws {
        let pool = pool()
        let opener = Opener(loop: loop)
        _ = try await stream(pool, opener)
        let other = SessionKey(cluster: "kind", namespace: "shop", pod: "web-1", podUID: "uid-2", loop: loop)
        _ = try await stream(pool, opener, key: other)
        let (alive, dead) = (opener.sessions[0], opener.sessions[1])
        dead.answersPings.store(false, ordering: .relaxed)
        pool.probeAll(timeout: .milliseconds(50))
        try await dead.closeFuture.get()
        #expect(!alive.isClosed)
        #expect(pool.sessionCount == 1)
        pool.shutdown()
        #expect(alive.isClosed)
        await #expect(throws: BerthDaemonError.self) { try await stream(pool, opener) }
    }
}
