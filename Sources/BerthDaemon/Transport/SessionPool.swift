import Logging
import NIOCore
import Synchronization

/// The multiplexed port-forward sessions of the daemon, shared by every forward to the same pod on the
/// same event loop (docs/port-forward.md, "Sessions").
///
/// - A stream goes into a live session of its key that has room (fewer than `maxStreams` streams handed
///   out); when none has, one session is opened and every caller waiting for the key shares it.
/// - Each session is kept alive with a PING every `pingInterval`. One that shows no sign of life for two
///   intervals is closed; so is one that carried no stream for two intervals (a forward's warm streams
///   keep its session open). A closed session's streams close with it; the next stream opens a new one.
///   Signs of life: an answered PING, any frame read since the last interval, or reads paused because a
///   slow reader's stream buffer is full (the answer then waits unread behind data; docs/port-forward.md,
///   "Keepalive").
/// - `probeAll()` (after a network change) pings every session at once and closes those that show no
///   sign of life within an interval.
public final class SessionPool: Sendable {
    /// Opens a new session for a key.
    public typealias Open = @Sendable () async throws -> any MultiplexedSession

    /// Why a session was closed by the pool.
    enum Closure: String {
        case pingsUnanswered = "it answered no PING and sent nothing for two intervals"
        case probeUnanswered = "it did not answer the PING after the network change"
        case idle = "no stream used it for two intervals"
        case shutdown = "berth is shutting down"
    }

    private struct Live {
        var key: SessionKey
        var session: any MultiplexedSession
        /// Streams handed out and not yet closed (the pool's own count, so concurrent callers never overfill).
        var streams = 0
        /// When the oldest PING still unanswered was sent, nil once the session showed a sign of life after it.
        /// (Timed from the PING, not from the last answer: a tick that runs late on a busy loop must not find
        /// a session dead that nobody asked.)
        var unansweredSince: NIODeadline?
        /// The session's `framesReceived` at the last tick.
        var framesAtTick: Int
        var idleTicks = 0
        var keepalive: RepeatedTask?
    }

    private struct State {
        var live: [ObjectIdentifier: Live] = [:]
        var byKey: [SessionKey: [ObjectIdentifier]] = [:]
        var opening: [SessionKey: Task<Void, any Error>] = [:]
        var shutDown = false
    }

    private enum Step {
        case use(any MultiplexedSession)
        case wait(Task<Void, any Error>)
    }

    /// The settings every session gets.
    public let settings: SessionSettings
    private let state = Mutex(State())
    private let logger: Logger

    /// Creates an empty pool.
    public init(settings: SessionSettings = SessionSettings(), logger: Logger) {
        self.settings = settings
        self.logger = logger
    }

    // MARK: Streams

    /// Opens a stream to `port` in a session of `key`, opening a session with `open` when none has room.
    /// - Throws: the error of `open` (every caller waiting for that opening gets it), or of the stream.
    public func openStream(
        _ key: SessionKey, port: Int, open: @escaping Open,
        initializer: @escaping @Sendable (any Channel) -> EventLoopFuture<Void>
    ) async throws -> any Channel {
        let session = try await reserve(key, open: open)
        let id = ObjectIdentifier(session)
        do {
            let channel = try await session.openStream(port: port, initializer: initializer).get()
            channel.closeFuture.whenComplete { _ in self.streamClosed(id) }
            return channel
        } catch {
            streamClosed(id)
            throw error
        }
    }

    /// A session of `key` with room for one more stream, counted as taken.
    private func reserve(_ key: SessionKey, open: @escaping Open) async throws -> any MultiplexedSession {
        while true {
            let step = try state.withLock { state throws -> Step in
                guard !state.shutDown else { throw BerthDaemonError.sessionPoolShutDown }
                for id in state.byKey[key] ?? [] where state.live[id]!.streams < settings.maxStreams {
                    state.live[id]!.streams += 1
                    state.live[id]!.idleTicks = 0
                    return .use(state.live[id]!.session)
                }
                if let task = state.opening[key] { return .wait(task) }
                let task = Task {
                    do {
                        try self.opened(key, try await open())
                    } catch {
                        self.openingFailed(key)
                        throw error
                    }
                }
                state.opening[key] = task
                return .wait(task)
            }
            switch step {
            case .use(let session):
                return session
            case .wait(let task):
                // Once it is open (or failed), look again: another caller may have filled it.
                try await task.value
            }
        }
    }

    private func streamClosed(_ id: ObjectIdentifier) {
        state.withLock { state in
            guard state.live[id] != nil else { return }
            state.live[id]!.streams -= 1
        }
    }

    // MARK: Sessions

    /// Adds a newly opened session and starts its keepalive; called inside the opening task.
    private func opened(_ key: SessionKey, _ session: any MultiplexedSession) throws {
        let id = ObjectIdentifier(session)
        let interval = settings.pingInterval
        let added = state.withLock { state -> Bool in
            state.opening[key] = nil
            guard !state.shutDown else { return false }
            state.live[id] = Live(key: key, session: session, framesAtTick: session.framesReceived)
            state.byKey[key, default: []].append(id)
            return true
        }
        guard added else {
            session.close()
            throw BerthDaemonError.sessionPoolShutDown
        }
        let keepalive = session.eventLoop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { _ in
            self.tick(id)
        }
        state.withLock { $0.live[id]?.keepalive = keepalive }
        session.closeFuture.whenComplete { _ in self.forget(id) }
        logger.debug("port-forward session opened", metadata: ["pod": "\(key)"])
    }

    private func openingFailed(_ key: SessionKey) {
        state.withLock { _ = $0.opening.removeValue(forKey: key) }
    }

    /// One keepalive interval passed: close the session if it is dead or idle, else PING it.
    private func tick(_ id: ObjectIdentifier) {
        let interval = settings.pingInterval
        let verdict = state.withLock { state -> (any MultiplexedSession, Closure?)? in
            guard var live = state.live[id] else { return nil }
            let now = live.session.eventLoop.now
            defer { state.live[id] = live }
            // Any frame read since the last tick proves the peer alive. While a slow reader pauses the session's
            // reads, answers wait unread behind the data before them: silence then proves nothing.
            let frames = live.session.framesReceived
            if frames != live.framesAtTick || live.session.readsPausedByBackpressure { live.unansweredSince = nil }
            live.framesAtTick = frames
            if let since = live.unansweredSince, now - since >= interval * 2 { return (live.session, .pingsUnanswered) }
            live.idleTicks = live.streams == 0 ? live.idleTicks + 1 : 0
            if live.idleTicks >= 2 { return (live.session, .idle) }
            if live.unansweredSince == nil { live.unansweredSince = now }
            return (live.session, nil)
        }
        guard let (session, closure) = verdict else { return }
        if let closure {
            close(id, because: closure)
            return
        }
        session.ping(timeout: interval * 2).whenSuccess { _ in self.answered(id) }
    }

    private func answered(_ id: ObjectIdentifier) {
        state.withLock { $0.live[id]?.unansweredSince = nil }
    }

    /// Takes the session out of the pool (no new stream goes there) and closes it.
    private func close(_ id: ObjectIdentifier, because closure: Closure) {
        guard let live = forget(id) else { return }
        if closure == .idle {
            logger.debug("port-forward session closed", metadata: ["pod": "\(live.key)", "reason": "\(closure.rawValue)"])
        } else {
            logger.warning("port-forward session closed: \(closure.rawValue)", metadata: ["pod": "\(live.key)"])
        }
        live.session.close()
    }

    @discardableResult
    private func forget(_ id: ObjectIdentifier) -> Live? {
        let live = state.withLock { state -> Live? in
            guard let live = state.live.removeValue(forKey: id) else { return nil }
            state.byKey[live.key]?.removeAll { $0 == id }
            if state.byKey[live.key]?.isEmpty == true { state.byKey[live.key] = nil }
            return live
        }
        live?.keepalive?.cancel()
        return live
    }

    /// After a network change: PINGs every session at once; one that does not answer within `timeout`
    /// (default: one interval) is closed, so its forwards open a new one now rather than two intervals later.
    public func probeAll(timeout: TimeAmount? = nil) {
        let sessions = state.withLock { $0.live.map { ($0.key, $0.value.session) } }
        for (id, session) in sessions {
            let frames = session.framesReceived
            session.ping(timeout: timeout ?? settings.pingInterval).whenComplete { result in
                if case .success = result {
                    self.answered(id)
                } else if session.framesReceived != frames || session.readsPausedByBackpressure {
                    // It read on, or a slow reader keeps it from reading the answer: alive.
                    self.answered(id)
                } else {
                    self.close(id, because: .probeUnanswered)
                }
            }
        }
    }

    // MARK: Status and shutdown

    /// Sessions and streams open to a pod of a cluster (every event loop), for `berth status`.
    public func usage(cluster: String, podUID: String) -> SessionUsage {
        state.withLock { state in
            let lives = state.live.values.filter { $0.key.cluster == cluster && $0.key.podUID == podUID }
            return SessionUsage(sessions: lives.count, streams: lives.reduce(0) { $0 + $1.streams })
        }
    }

    /// Sessions open now.
    public var sessionCount: Int { state.withLock { $0.live.count } }

    /// Closes every session; later streams fail.
    public func shutdown() {
        let ids = state.withLock { state -> [ObjectIdentifier] in
            state.shutDown = true
            return Array(state.live.keys)
        }
        for id in ids { close(id, because: .shutdown) }
    }
}

/// How many sessions and streams a pod's forwards use.
public struct SessionUsage: Hashable, Sendable, Codable {
    /// Sessions open to the pod.
    public var sessions: Int
    /// Streams open in them (connections and warm streams).
    public var streams: Int

    /// Creates a usage.
    public init(sessions: Int, streams: Int) {
        self.sessions = sessions
        self.streams = streams
    }
}
