import Logging
import NIOCore
import Reconcile

extension Forward {
    /// What `admit` said of a new connection: its id, and its route or why it has none (nil for both: it is held).
    typealias Admission = (id: UInt64, route: Route?, outcome: HoldOutcome?)

    /// How registering a connection and installing its pump went (`attach`).
    enum Attached: Sendable {
        /// Bytes flow. `replayed` says how the pump ended (see `Pump.bridge`).
        case bridged(replayed: EventLoopFuture<(any Error)?>, counters: ByteCounters)
        /// The forward is stopping, or the pump could not be installed: both channels are closed.
        case closed
        /// The stream had died before it could be used; nothing was changed.
        case upstreamDead
        /// The client went away before it could be bridged.
        case clientGone
    }

    /// Serves one accepted connection from arrival to close. Never throws: a failure closes this
    /// connection only. `admission` and `attached` are what `accept` did already, if it ran.
    ///
    /// The rule for upstream failures (docs/data-plane.md, "Connection rules"): a connection is closed for
    /// one only once its bytes may have reached a pod. A stream that could not be opened, or that died before
    /// the bridge, carried nothing to any pod, so the connection goes back to the hold queue, keeping every
    /// byte the client sent (they are still in its socket or its stand-by handler), and is bridged to the
    /// next endpoint, or to the same one on a retry, within its hold.
    nonisolated func serve(
        _ client: any Channel, admission: Admission? = nil, attached: Attached? = nil, resumingAfter failed: (any Error)? = nil
    ) async {
        let (id, firstRoute, firstOutcome) = if let admission { admission } else { await admit() }
        var logger = self.logger
        logger[metadataKey: "connection"] = "\(id)"
        if let remote = client.remoteAddress { logger[metadataKey: "client"] = "\(remote)" }
        let waited = ElapsedClock(clock).now

        var route: Route
        if let firstRoute {
            route = firstRoute
        } else if let firstOutcome {
            logger.warning("connection refused: hold queue full or forward stopping", metadata: ["outcome": "\(firstOutcome)"])
            client.close(promise: nil)
            return
        } else {
            logger.debug("no endpoint; holding connection")
            guard let heldRoute = await waitWhileHeld(id: id, for: configuration.holdTimeout, retryingAfter: nil, logger: logger) else {
                client.close(promise: nil)
                return
            }
            route = heldRoute
        }

        var failuresInARow = 0
        var attached = attached
        var resumed = failed.map { BridgeAttempt.neverReachedPod($0) }
        while true {
            if resumed == nil, attached == nil, route.warm == nil, await warmTarget > 0 {
                route.warm = await waitForOpeningWarm(id: id, generation: route.generation)
            }
            logger[metadataKey: "pod"] = "\(route.endpoint)"
            var failure: (any Error)?
            let attempt: BridgeAttempt
            if let first = resumed {
                resumed = nil
                attempt = first
            } else if let done = attached, let stream = route.warm?.stream {
                attached = nil
                attempt = await follow(done, client: client, id: id, along: route, stream: stream, logger: logger)
            } else {
                attempt = await bridge(client, id: id, along: route, logger: logger)
            }
            switch attempt {
            case .done:
                return
            case .warmStreamDead:
                // Never hand out a dead stream: try a fresh one to the same pod.
                route.warm = nil
                continue
            case .neverReachedPod(let error):
                failure = error
            }

            // Nothing reached a pod: hold the connection again until the next endpoint, or a retry.
            failuresInARow += 1
            await count(.reheld)
            let left = configuration.holdTimeout - waited()
            logger.info(
                "the stream never reached the pod; holding the connection for the next endpoint",
                metadata: ["error": "\(failure.map { "\($0)" } ?? "-")", "holdLeft": "\(left)"])
            guard let next = await waitAfterFailure(
                id: id, failedGeneration: route.generation, for: left, failuresInARow: failuresInARow, logger: logger)
            else {
                client.close(promise: nil)
                return
            }
            route = next
        }
    }

    /// How one attempt to bridge a connection ended.
    private enum BridgeAttempt {
        /// The connection was bridged and has ended, or the client left: nothing more to do.
        case done
        /// The warm stream it was given had died; the caller opens a fresh one.
        case warmStreamDead
        /// No byte reached any pod: the open failed, the stream died before the bridge, or the kubelet could not
        /// dial the pod port after the bridge (the client's bytes were kept for the next stream).
        case neverReachedPod((any Error)?)
    }

    /// Opens (or takes) a stream along `route`, bridges the client to it, and waits until the connection ends.
    private nonisolated func bridge(_ client: any Channel, id: UInt64, along route: Route, logger: Logger) async -> BridgeAttempt {
        let stream: UpstreamStream
        if let warmStream = route.warm {
            stream = warmStream.stream
        } else {
            do {
                stream = try await openStream(to: route.endpoint, onAcceptPath: true)
            } catch {
                return .neverReachedPod(error)
            }
        }
        let attached = await attach(client, id: id, route: route, stream: stream)
        return await follow(attached, client: client, id: id, along: route, stream: stream, logger: logger)
    }

    /// Registers a connection and installs its pump, on the loop with nothing in between: `closeConnections`
    /// knows every connection that may pass bytes, and a dead stream is never handed out. A used warm stream is
    /// replaced at once, except when streams open quickly (`opensAreQuick`): then once the pod's first answer has
    /// reached the client (or a side ends), so that opening the replacement keeps neither berth nor the API server
    /// from the client's first exchange, and only once half the pool is used, so that the replacements go out
    /// together and most connections meet none. Behind a long round trip the replacement is not delayed: the next
    /// burst of connections would find it still opening.
    func attach(_ client: any Channel, id: UInt64, route: Route, stream: UpstreamStream) -> Attached {
        let counters = ByteCounters()
        guard register(id: id, route: route, client: client, upstream: stream.channel, counters: counters) else {
            // The forward is stopping.
            client.close(promise: nil)
            stream.channel.close(promise: nil)
            return .closed
        }
        let replayed = eventLoop.makePromise(of: (any Error)?.self)
        let replaceAfterAnswer = route.warm != nil && opensAreQuick
        let onFirstAnswer: (@Sendable () -> Void)? = replaceAfterAnswer ? refillWarmOnFirstAnswer : nil
        let outcome: Pump.Outcome
        do {
            outcome = try Pump.bridge(
                client: client, upstream: stream, counters: [counters, bytes], replayLimit: Self.replayLimit,
                replayed: replayed, onFirstAnswer: onFirstAnswer)
        } catch {
            logger.warning("cannot bridge connection", metadata: ["connection": "\(id)", "error": "\(error)"])
            client.close(promise: nil)
            stream.channel.close(promise: nil)
            unregister(id: id)
            refillWarm()
            return .closed
        }
        switch outcome {
        case .bridged:
            noteBridged(route)
            if route.warm != nil, !replaceAfterAnswer { refillWarm() }
            return .bridged(replayed: replayed.futureResult, counters: counters)
        case .upstreamDead:
            unregister(id: id)
            refillWarm()
            return .upstreamDead
        case .clientGone:
            unregister(id: id)
            refillWarm()
            return .clientGone
        }
    }

    /// Whether the last stream opened within `quickOpen`: the API server is close by (loopback, a local cluster),
    /// and a replacement opened after the first answer is back within moments.
    var opensAreQuick: Bool {
        stats.lastConnectLatency.map { $0 < configuration.quickOpen } ?? false
    }

    /// `refillWarm` from the pump, which runs on this forward's loop: at once, without a task.
    private nonisolated var refillWarmOnFirstAnswer: @Sendable () -> Void {
        { [self] in onLoop { $0.refillWarm(inBatches: true) } }
    }

    /// Carries on from `attach`: a connection that was bridged is waited for until it ends.
    private nonisolated func follow(
        _ attached: Attached, client: any Channel, id: UInt64, along route: Route, stream: UpstreamStream, logger: Logger
    ) async -> BridgeAttempt {
        let counters: ByteCounters
        let replayed: EventLoopFuture<(any Error)?>
        switch attached {
        case .closed:
            return .done
        case .upstreamDead where route.warm != nil:
            await count(.warmStreamDied)
            logger.info("warm stream died before use; opening a fresh one")
            stream.channel.close(promise: nil)
            return .warmStreamDead
        case .upstreamDead:
            stream.channel.close(promise: nil)
            let failure = await deathError(of: stream, to: route.endpoint, otherwise: ChannelError.ioOnClosedChannel)
            await noteUpstream(UpstreamFailure(failure))
            return .neverReachedPod(failure)
        case .clientGone:
            logger.debug("client left before it was bridged")
            client.close(promise: nil)
            stream.channel.close(promise: nil)
            return .done
        case .bridged(let pumpEnd, let connectionCounters):
            replayed = pumpEnd
            counters = connectionCounters
        }

        logger.debug("connection bridged", metadata: ["warm": "\(route.warm != nil)"])
        let neverReachedPod: (any Error)? = await withTaskCancellationHandler {
            try? await stream.channel.closeFuture.get()
            // The kubelet could not dial the pod port before the pod sent a byte: the client is back in stand-by,
            // with every byte it sent, and waits for the next stream.
            if let cause = (try? await replayed.get()) ?? nil { return cause }
            try? await client.closeFuture.get()
            return nil
        } onCancel: {
            client.close(promise: nil)
            stream.channel.close(promise: nil)
        }
        await unregister(id: id)
        if let neverReachedPod {
            let failure = BerthDaemonError.upstreamConnectFailed(
                forward: configuration.name, endpoint: route.endpoint, reason: "\(neverReachedPod)")
            await noteUpstream(UpstreamFailure(failure))
            return .neverReachedPod(failure)
        }
        logger.debug(
            "connection closed",
            metadata: ["bytesIn": "\(counters.inCount)", "bytesOut": "\(counters.outCount)"]
        )
        return .done
    }

    /// Waits for an endpoint for at most `timeout`; nil means the connection must close. With
    /// `retryingAfter`, the connection is also handed the current endpoint again after that delay
    /// (doubling, at most `Forward.longestRetryDelay`), should none newer come first.
    private nonisolated func waitWhileHeld(
        id: UInt64, for timeout: Duration, retryingAfter firstRetry: Duration?, logger: Logger
    ) async -> Route? {
        let clock = self.clock
        let outcome = await withTaskGroup(of: Void.self) { group in
            group.addTask {
                var left = timeout
                var retry = firstRetry
                do {
                    while let delay = retry, delay < left {
                        try await clock.sleep(for: delay)
                        left -= delay
                        if await self.retryHeld(id: id) { return }
                        retry = min(delay * 2, Self.longestRetryDelay)
                    }
                    try await clock.sleep(for: max(left, .zero))
                    await self.expireHold(id: id)
                } catch {
                    // Cancelled: the connection was routed, or the forward is stopping.
                }
            }
            let outcome = await self.awaitHeld(id: id)
            group.cancelAll()
            return outcome
        }
        switch outcome {
        case .bridge(let route):
            return route
        case .timedOut:
            logger.info("no endpoint within the hold timeout; closing connection", metadata: ["holdTimeout": "\(configuration.holdTimeout)"])
            return nil
        case .queueFull, .stopped:
            return nil
        }
    }

    /// Holds a connection whose stream to the endpoint of `failedGeneration` never reached the pod: it is
    /// routed at once if the endpoint changed meanwhile, else when it changes, or retried on the same
    /// endpoint after a backoff; nil once `timeout` (what is left of its hold) runs out.
    private nonisolated func waitAfterFailure(
        id: UInt64, failedGeneration: UInt64, for timeout: Duration, failuresInARow: Int, logger: Logger
    ) async -> Route? {
        guard timeout > .zero else {
            await count(.holdTimedOut)
            logger.info("no endpoint within the hold timeout; closing connection", metadata: ["holdTimeout": "\(configuration.holdTimeout)"])
            return nil
        }
        switch await rehold(id: id, after: failedGeneration) {
        case .bridge(let route)?:
            return route
        case .timedOut?, .queueFull?, .stopped?:
            return nil
        case nil:
            let exponent = min(max(failuresInARow - 1, 0), 8)
            let retry = min(Self.firstRetryDelay * (1 << exponent), Self.longestRetryDelay)
            return await waitWhileHeld(id: id, for: timeout, retryingAfter: retry, logger: logger)
        }
    }

    /// Opens an upstream stream and records how long it took.
    nonisolated func openStream(to endpoint: UpstreamEndpoint, onAcceptPath: Bool) async throws -> UpstreamStream {
        let (stream, latency) = try await dial(endpoint)
        do {
            try await guardStream(stream, latency: latency, onAcceptPath: onAcceptPath)
        } catch {
            stream.channel.close(promise: nil)
            let failure = await deathError(of: stream, to: endpoint, otherwise: error)
            await noteUpstream(UpstreamFailure(failure))
            throw failure
        }
        return stream
    }

    /// Connects a stream to `endpoint` on the forward's loop and times it; a failure is noted, and thrown in the
    /// forward's words.
    nonisolated func dial(_ endpoint: UpstreamEndpoint) async throws -> (stream: UpstreamStream, latency: Duration) {
        var result: Result<UpstreamStream, any Error> = .failure(CancellationError())
        let connector = self.connector
        let eventLoop = self.eventLoop
        let latency = await clock.measure {
            do {
                result = .success(try await connector.connect(to: endpoint, on: eventLoop))
            } catch {
                result = .failure(error)
            }
        }
        let stream: UpstreamStream
        do {
            stream = try result.get()
        } catch {
            let failure = error as? BerthDaemonError
                ?? .upstreamConnectFailed(forward: configuration.name, endpoint: endpoint, reason: "\(error)")
            await noteUpstream(UpstreamFailure(failure))
            throw failure
        }
        guard stream.channel.eventLoop === eventLoop else {
            stream.channel.close(promise: nil)
            throw BerthDaemonError.upstreamOnWrongEventLoop(forward: configuration.name, endpoint: endpoint)
        }
        return (stream, latency)
    }

    /// Guards a stream just opened, at once: bytes and a FIN that arrive before the bridge are kept in its stand-by
    /// handler. Then records the open. On the loop (the actor's executor), so the stream's pipeline is at hand.
    func guardStream(_ stream: UpstreamStream, latency: Duration, onAcceptPath: Bool) throws {
        if stream.channel.standbyHandler == nil {
            try UpstreamStream.addStandbyHandler(
                to: stream.channel.pipeline.syncOperations, bufferLimit: configuration.warmStreamBufferLimit)
        }
        // Closed before it could be used: nothing will ever tell the handler.
        guard stream.channel.isActive else { throw ChannelError.ioOnClosedChannel }
        recordConnect(latency: latency, onAcceptPath: onAcceptPath, multiplexed: stream.multiplexed)
    }

    /// Why a stream died before use, in the words of whoever closed it (the kubelet's error for the pod
    /// port, say), rather than the closed channel it left behind. Call it after closing the stream.
    nonisolated func deathError(of stream: UpstreamStream, to endpoint: UpstreamEndpoint, otherwise error: any Error) async -> BerthDaemonError {
        var reason = "\(error)"
        if case .died(let cause?)? = try? await stream.standbyExit?.get() { reason = "\(cause)" }
        return .upstreamConnectFailed(forward: configuration.name, endpoint: endpoint, reason: reason)
    }
}
