import NIOCore
import Reconcile

extension Forward {
    /// How many warm streams to keep now: the configured number, else the transport's default for a forward in
    /// use or idle; none for an endpoint that talks unasked.
    var warmTarget: Int {
        warmTalksUnasked ? 0 : configuration.warmStreams(multiplexed: upstreamMultiplexed, inUse: inUse)
    }

    /// Whether a connection came within `warmInUseWindow`. Past it, the streams above the idle default are not
    /// replaced when they are used or age out.
    var inUse: Bool {
        guard let lastConnectionAt else { return false }
        return elapsed.now() - lastConnectionAt < configuration.warmInUseWindow
    }

    /// Opens warm streams until `warmTarget` are ready or opening for the current endpoint. `inBatches`: only once
    /// half the target (at least one) is missing, so that the opens go out together and the connections between
    /// two batches are not slowed by them.
    func refillWarm(inBatches: Bool = false) {
        guard lifecycle == .running, let endpoint, !warmRetryPending else { return }
        let target = warmTarget
        if inBatches, target - warm.count - warmOpening < max(1, target / 2) { return }
        let generation = self.generation
        while warm.count + warmOpening < target {
            warmOpening += 1
            spawn { await self.openWarm(to: endpoint, generation: generation) }
        }
    }

    /// Opens one warm stream, puts it in the pool, then watches it until it is used, dies or ages out.
    nonisolated func openWarm(to endpoint: UpstreamEndpoint, generation: UInt64) async {
        let stream: UpstreamStream
        let joined: (id: UInt64, readyAt: Duration, failuresToClear: Bool, exit: EventLoopFuture<StandbyExit>)?
        do {
            let dialled = try await dial(endpoint)
            stream = dialled.stream
            do {
                joined = try await joinPool(stream, latency: dialled.latency, generation: generation)
            } catch {
                stream.channel.close(promise: nil)
                let failure = await deathError(of: stream, to: endpoint, otherwise: error)
                await noteUpstream(UpstreamFailure(failure))
                throw failure
            }
        } catch {
            await warmFailed(generation: generation, error: error)
            return
        }
        guard let (id, readyAt, failuresToClear, exit) = joined else {
            stream.channel.close(promise: nil)
            return
        }

        // A stream the server closes at once (a kubelet that connects to the pod port only after the
        // port prefixes, and finds nothing listening) is a failed open, not an idle timeout: it is retried
        // with backoff, never in a tight loop. One that lives through the probation proves opens work, which
        // clears the failures that came before; a stream opened with none to clear sets no timer for it.
        // Its age is not watched here but by `ageWarmStreams`, which closes it when its time is up.
        let probation = min(Self.shortestHealthyWarmLife, configuration.warmStreamMaxIdle)
        let outcome: StandbyExit?
        if failuresToClear {
            let clock = self.clock
            outcome = await withTaskGroup(of: StandbyExit?.self) { group in
                group.addTask { try? await exit.get() }
                group.addTask {
                    try? await clock.sleep(for: probation)
                    return nil
                }
                var outcome = await group.next() ?? nil
                if outcome == nil {
                    await self.warmStreamWorked()
                    // Only the wait on `exit` is left: the stream is handed out, dies, or is closed (aged out, a new
                    // endpoint, the forward stopping), which ends it.
                    outcome = await group.next() ?? nil
                }
                group.cancelAll()
                return outcome
            }
        } else {
            outcome = try? await exit.get()
        }
        // A stream already taken out of the pool (aged out, say) is not retired again: see `retireWarm`.
        switch outcome {
        case .handedOut:
            await warmStreamWorked()
        case .died(let cause):
            await retireWarm(id: id, died: true, quickly: elapsed.now() - readyAt < probation, cause: cause)
        case .overflowed:
            await stopWarmingTalkingEndpoint(id: id)
        case nil:
            await retireWarm(id: id, died: false)
        }
    }

    /// Closes each warm stream once it has waited `warmStreamMaxIdle` in the pool, before the kubelet's idle
    /// timeout would, and opens its replacement. One loop per forward, running while the pool holds a stream:
    /// it sleeps until the oldest stream's time is up (the pool is in the order the streams became ready, and
    /// every stream waits as long), and a stream handed out meanwhile leaves that sleep alone.
    ///
    /// Not a sleep per stream, cancelled when the stream is used: the Swift runtime keeps a cancelled sleep (its
    /// task and dispatch timer, about 600 bytes) until its deadline would have passed (swiftlang/swift#60441),
    /// so the daemon's heap held one per warm stream used in the last `warmStreamMaxIdle` (4 minutes), and grew
    /// through the first 4 minutes of every busy or churning spell.
    nonisolated func ageWarmStreams() async {
        let elapsed = self.elapsed
        while let deadline = await nextWarmAgeLimit() {
            do {
                try await elapsed.sleepUntil(deadline)
            } catch {
                return  // cancelled: the forward is stopping
            }
            await retireAgedWarmStreams()
        }
    }

    /// Starts `ageWarmStreams` unless it runs already.
    func startWarmAger() {
        guard !warmAgerRunning, !warm.isEmpty else { return }
        warmAgerRunning = spawn { await self.ageWarmStreams() }
    }

    /// When the oldest warm stream's time is up; nil (and the ager ends) once the pool is empty.
    private func nextWarmAgeLimit() -> Duration? {
        guard lifecycle == .running, let oldest = warm.first else {
            warmAgerRunning = false
            return nil
        }
        return oldest.readyAt + configuration.warmStreamMaxIdle
    }

    /// Closes the warm streams whose time is up. Having lived that long, they prove opens work, as a probation does.
    private func retireAgedWarmStreams() {
        let now = elapsed.now()
        var retired = false
        while let oldest = warm.first, oldest.readyAt + configuration.warmStreamMaxIdle <= now {
            retireWarm(id: oldest.id, died: false)
            retired = true
        }
        if retired { warmStreamWorked() }
    }

    /// Guards a warm stream just opened, makes it read (reading while idle is how a server-side close is noticed),
    /// and adds it to the pool, in one step on the loop; nil if it was opened for an endpoint now gone.
    func joinPool(
        _ stream: UpstreamStream, latency: Duration, generation: UInt64
    ) throws -> (id: UInt64, readyAt: Duration, failuresToClear: Bool, exit: EventLoopFuture<StandbyExit>)? {
        try guardStream(stream, latency: latency, onAcceptPath: false)
        guard let standby = stream.channel.standbyHandler else { throw ChannelError.ioOnClosedChannel }
        standby.becomeWarm(bufferLimit: configuration.warmStreamBufferLimit)
        try stream.channel.syncOptions?.setOption(.autoRead, value: true)
        guard let opened = warmOpened(stream: stream, exit: standby.exitFuture, generation: generation) else { return nil }
        return (opened.id, opened.readyAt, opened.failuresToClear, standby.exitFuture)
    }

    /// Adds a freshly opened stream to the pool; nil if it was opened for an endpoint now gone. Says when it became
    /// ready, and whether there are failures that its living through the probation would clear.
    func warmOpened(
        stream: UpstreamStream,
        exit: EventLoopFuture<StandbyExit>,
        generation: UInt64
    ) -> (id: UInt64, readyAt: Duration, failuresToClear: Bool)? {
        guard lifecycle == .running, generation == self.generation else { return nil }
        warmOpening -= 1
        nextWarmID += 1
        let ready = WarmStream(id: nextWarmID, stream: stream, exit: exit, readyAt: elapsed.now())
        let opened = (nextWarmID, ready.readyAt, warmFailures > 0 || upstreamFailure != nil)
        if let waiter = warmWaiters.popFirst() {
            // A connection is already waiting for this very stream: hand it over (`attach` opens the next one).
            waiter.continuation.resume(returning: ready)
            return opened
        }
        warm.append(ready)
        startWarmAger()
        logger.debug("warm stream ready", metadata: ["pod": "\(endpoint.map { "\($0)" } ?? "-")", "warm": "\(warm.count)"])
        return opened
    }

    /// For a connection that found the pool empty: waits (at most `warmStreamWaitLimit`) for a stream
    /// already being opened, rather than dialling a second one that would be ready later. Sequential
    /// clients arrive faster than a stream opens, so without this the refill was always in flight when
    /// the next connection came, and that connection paid a whole dial of its own on top of it.
    /// Returns nil when no stream is being opened, or none came in time: the caller then dials.
    nonisolated func waitForOpeningWarm(id: UInt64, generation: UInt64) async -> WarmStream? {
        let limit = configuration.warmStreamWaitLimit
        let clock = self.clock
        return await withTaskGroup(of: Void.self) { group in
            group.addTask {
                do {
                    try await clock.sleep(for: limit)
                    await self.stopWaitingForWarm(id: id)
                } catch {
                    // Cancelled: the stream came (or no wait was needed).
                }
            }
            let stream = await self.awaitOpeningWarm(id: id, generation: generation)
            group.cancelAll()
            return stream
        }
    }

    private func awaitOpeningWarm(id: UInt64, generation: UInt64) async -> WarmStream? {
        guard lifecycle == .running, generation == self.generation else { return nil }
        if let stream = warm.popFirst() {
            return stream
        }
        // Each stream in flight serves one waiter; a connection beyond them dials its own.
        guard warmOpening > warmWaiters.count else { return nil }
        return await withCheckedContinuation { continuation in
            warmWaiters.append(WarmWaiter(id: id, continuation: continuation))
        }
    }

    private func stopWaitingForWarm(id: UInt64) {
        guard let index = warmWaiters.firstIndex(where: { $0.id == id }) else { return }
        warmWaiters.remove(at: index).continuation.resume(returning: nil)
    }

    /// Sends the newest waiters off to dial on their own until at most `keeping` are left.
    func releaseWarmWaiters(keeping: Int) {
        while warmWaiters.count > max(keeping, 0), let waiter = warmWaiters.popLast() {
            waiter.continuation.resume(returning: nil)
        }
    }

    /// A warm stream that lived less than this before the server closed it counts as a failed open.
    static var shortestHealthyWarmLife: Duration { .seconds(1) }

    /// A warm stream was used, or outlived its probation: opening them works, so failures start over.
    func warmStreamWorked() {
        warmFailures = 0
        noteUpstream(nil)
    }

    /// Takes a stream out of the pool and closes it, then opens its replacement (after a backoff
    /// when the server closed it as soon as it was open).
    func retireWarm(id: UInt64, died: Bool, quickly: Bool = false, cause: (any Error)? = nil) {
        guard let index = warm.firstIndex(where: { $0.id == id }) else { return }
        let retired = warm.remove(at: index)
        retired.stream.channel.close(promise: nil)
        if died {
            stats.count(.warmStreamDied)
            if quickly {
                let reason = cause.map { "\($0)" } ?? "the server closed the stream as soon as it was open"
                if let endpoint {
                    noteUpstream(UpstreamFailure(BerthDaemonError.upstreamConnectFailed(
                        forward: configuration.name, endpoint: endpoint, reason: reason)))
                }
                warmRoundFailed(reason: reason)
                return
            }
            logger.info("warm stream closed by the server while idle; replacing it")
        } else {
            logger.debug("warm stream recycled before the idle timeout")
        }
        refillWarm()
    }

    /// A warm stream's pod sent more than a warm stream keeps before any client came: the endpoint talks
    /// unasked (a stream of data, not a greeting). Warm streams to it would only hold stale bytes and, in a
    /// shared SPDY session, stop every stream of the session once their buffers fill; so the forward keeps
    /// none until the endpoint changes, and closes those it has (they would overflow too).
    func stopWarmingTalkingEndpoint(id: UInt64) {
        guard let index = warm.firstIndex(where: { $0.id == id }) else { return }
        warm.remove(at: index).stream.channel.close(promise: nil)
        guard !warmTalksUnasked else { return }
        warmTalksUnasked = true
        logger.info(
            "the pod sends data before any client connects; keeping no warm streams to it",
            metadata: ["pod": "\(endpoint.map { "\($0)" } ?? "-")"])
        for stream in warm { stream.stream.channel.close(promise: nil) }
        warm.removeAll()
    }

    private func warmFailed(generation: UInt64, error: any Error) {
        guard lifecycle == .running, generation == self.generation else { return }
        warmOpening -= 1
        releaseWarmWaiters(keeping: warmOpening)
        stats.count(.warmConnectFailed)
        warmRoundFailed(reason: "\(error)")
    }

    /// A failed open (or a stream that died in probation) fails its round of opens: the first failure of a round
    /// adds one step of backoff and schedules the retry; the others, while that retry is pending, are the same
    /// round. A partition or a cut SPDY session fails every warm stream at once, and counting each of them
    /// would grow the backoff one step per stream (six streams: 16 s instead of 0.5 s) for a single outage.
    private func warmRoundFailed(reason: String) {
        guard !warmRetryPending else { return }
        warmFailures += 1
        scheduleWarmRetry(reason: reason)
    }

    /// Waits out the backoff of `warmFailures` failed rounds in a row, then refills the pool.
    private func scheduleWarmRetry(reason: String) {
        let generation = self.generation
        let backoff = ExponentialBackoff(base: configuration.warmRetryDelay, cap: configuration.warmRetryMaxDelay)
        let delay = backoff.delay(afterFailures: warmFailures - 1)
        logger.warning(
            "cannot open a warm stream; retrying",
            metadata: ["pod": "\(endpoint.map { "\($0)" } ?? "-")", "error": "\(reason)", "retryIn": "\(delay)"]
        )
        warmRetryPending = true
        warmRetrySerial &+= 1
        let serial = warmRetrySerial
        let clock = self.clock
        spawn {
            try? await clock.sleep(for: delay)
            await self.warmRetryDue(generation: generation, serial: serial)
        }
    }

    /// After the network settled: forgets the failures the change caused and refills the pool now, rather than
    /// after a backoff that may have grown to `warmRetryMaxDelay` while the network was down.
    func retryWarmNow() {
        guard warmRetryPending else { return }
        warmFailures = 0
        warmRetryPending = false
        warmRetrySerial &+= 1
        refillWarm()
    }

    private func warmRetryDue(generation: UInt64, serial: UInt64) {
        guard generation == self.generation, serial == warmRetrySerial else { return }
        warmRetryPending = false
        refillWarm()
    }
}
