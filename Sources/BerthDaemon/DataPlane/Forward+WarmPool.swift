import NIOCore

extension Forward {
    /// Opens warm streams until `warmStreams` are ready or opening for the current endpoint.
    func refillWarm() {
        guard lifecycle == .running, let endpoint, !warmRetryPending else { return }
        let generation = self.generation
        while warm.count + warmOpening < configuration.warmStreams {
            warmOpening += 1
            spawn { await self.openWarm(to: endpoint, generation: generation) }
        }
    }

    /// Opens one warm stream, puts it in the pool, then watches it until it is used, dies or ages out.
    nonisolated func openWarm(to endpoint: UpstreamEndpoint, generation: UInt64) async {
        let stream: UpstreamStream
        do {
            stream = try await openStream(to: endpoint, onAcceptPath: false)
        } catch {
            await warmFailed(generation: generation, error: error)
            return
        }
        let exit: EventLoopFuture<StandbyExit>
        do {
            exit = try await eventLoop.submit {
                guard let standby = stream.channel.standbyHandler else { throw ChannelError.ioOnClosedChannel }
                standby.becomeWarm()
                // Reading while idle is how a server-side close is noticed.
                try stream.channel.syncOptions?.setOption(.autoRead, value: true)
                return standby.exitFuture
            }.get()
        } catch {
            stream.channel.close(promise: nil)
            await warmFailed(generation: generation, error: error)
            return
        }
        guard let id = await warmOpened(stream: stream, exit: exit, generation: generation) else {
            stream.channel.close(promise: nil)
            return
        }

        let maxIdle = configuration.warmStreamMaxIdle
        let clock = self.clock
        let readyAt = ContinuousClock.now
        await withTaskGroup(of: StandbyExit?.self) { group in
            group.addTask { try? await exit.get() }
            group.addTask {
                try? await clock.sleep(for: maxIdle)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            switch first {
            case .handedOut:
                await self.warmStreamWorked()
            case .died:
                // A stream the server closes at once (nothing listens on the pod port, say) is a failed
                // open, not an idle timeout: retry it with backoff instead of in a tight loop.
                let quickly = ContinuousClock.now - readyAt < Self.shortestHealthyWarmLife
                await self.retireWarm(id: id, died: true, quickly: quickly)
            case nil:
                // Aged out (or the forward is stopping): close it before the kubelet would.
                await self.warmStreamWorked()
                await self.retireWarm(id: id, died: false)
            }
        }
    }

    /// Adds a freshly opened stream to the pool; nil if it was opened for an endpoint now gone.
    func warmOpened(
        stream: UpstreamStream,
        exit: EventLoopFuture<StandbyExit>,
        generation: UInt64
    ) -> UInt64? {
        guard lifecycle == .running, generation == self.generation else { return nil }
        warmOpening -= 1
        nextWarmID += 1
        let ready = WarmStream(id: nextWarmID, stream: stream, exit: exit)
        if let waiter = warmWaiters.popFirst() {
            // A connection is already waiting for this very stream: hand it over and open the next one.
            waiter.continuation.resume(returning: ready)
            refillWarm()
            return nextWarmID
        }
        warm.append(ready)
        logger.debug("warm stream ready", metadata: ["pod": "\(endpoint.map { "\($0)" } ?? "-")", "warm": "\(warm.count)"])
        return nextWarmID
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
            refillWarm()
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

    /// A warm stream was used, or lived out its idle age: opening them works, so failures start over.
    func warmStreamWorked() {
        warmFailures = 0
    }

    /// Takes a stream out of the pool and closes it, then opens its replacement (after a backoff
    /// when the server closed it as soon as it was open).
    func retireWarm(id: UInt64, died: Bool, quickly: Bool = false) {
        guard let index = warm.firstIndex(where: { $0.id == id }) else { return }
        let retired = warm.remove(at: index)
        retired.stream.channel.close(promise: nil)
        if died {
            stats.count(.warmStreamDied)
            if quickly {
                warmFailures += 1
                scheduleWarmRetry(reason: "the server closed a new warm stream at once")
                return
            }
            logger.info("warm stream closed by the server while idle; replacing it")
        } else {
            logger.debug("warm stream recycled before the idle timeout")
        }
        refillWarm()
    }

    private func warmFailed(generation: UInt64, error: any Error) {
        guard lifecycle == .running, generation == self.generation else { return }
        warmOpening -= 1
        releaseWarmWaiters(keeping: warmOpening)
        warmFailures += 1
        stats.count(.warmConnectFailed)
        scheduleWarmRetry(reason: "\(error)")
    }

    /// Waits out the backoff of `warmFailures` failures in a row, then refills the pool.
    private func scheduleWarmRetry(reason: String) {
        let generation = self.generation
        let exponent = min(max(warmFailures - 1, 0), 16)
        let delay = min(configuration.warmRetryDelay * (1 << exponent), configuration.warmRetryMaxDelay)
        logger.warning(
            "cannot open a warm stream; retrying",
            metadata: ["pod": "\(endpoint.map { "\($0)" } ?? "-")", "error": "\(reason)", "retryIn": "\(delay)"]
        )
        warmRetryPending = true
        let clock = self.clock
        spawn {
            try? await clock.sleep(for: delay)
            await self.warmRetryDue(generation: generation)
        }
    }

    private func warmRetryDue(generation: UInt64) {
        guard generation == self.generation else { return }
        warmRetryPending = false
        refillWarm()
    }
}
