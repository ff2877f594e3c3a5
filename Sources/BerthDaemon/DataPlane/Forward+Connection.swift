import Logging
import NIOCore

extension Forward {
    /// Serves one accepted connection from arrival to close. Never throws: a failure closes this
    /// connection only.
    nonisolated func serve(_ client: any Channel) async {
        let (id, firstRoute, firstOutcome) = await admit()
        var logger = self.logger
        logger[metadataKey: "connection"] = "\(id)"
        if let remote = client.remoteAddress { logger[metadataKey: "client"] = "\(remote)" }

        var route: Route
        if let firstRoute {
            route = firstRoute
        } else if let firstOutcome {
            logger.warning("connection refused: hold queue full or forward stopping", metadata: ["outcome": "\(firstOutcome)"])
            client.close(promise: nil)
            return
        } else {
            logger.debug("no endpoint; holding connection")
            guard let heldRoute = await waitWhileHeld(id: id, logger: logger) else {
                client.close(promise: nil)
                return
            }
            route = heldRoute
        }

        if route.warm == nil, configuration.warmStreams > 0 {
            route.warm = await waitForOpeningWarm(id: id, generation: route.generation)
        }
        let counters = ByteCounters()
        while true {
            logger[metadataKey: "pod"] = "\(route.endpoint)"
            let stream: UpstreamStream
            if let warmStream = route.warm {
                stream = warmStream.stream
            } else {
                do {
                    stream = try await openStream(to: route.endpoint, onAcceptPath: true)
                } catch {
                    await count(.upstreamConnectFailed)
                    logger.warning("cannot open upstream stream; closing connection", metadata: ["error": "\(error)"])
                    client.close(promise: nil)
                    return
                }
            }

            let allCounters = [counters, bytes]
            let outcome: Pump.Outcome
            do {
                outcome = try await eventLoop.submit {
                    try Pump.bridge(client: client, upstream: stream, counters: allCounters)
                }.get()
            } catch {
                logger.warning("cannot bridge connection", metadata: ["error": "\(error)"])
                client.close(promise: nil)
                stream.channel.close(promise: nil)
                return
            }
            switch outcome {
            case .upstreamDead where route.warm != nil:
                // Never hand out a dead stream: drop it and open a fresh one for this connection.
                await count(.warmStreamDied)
                logger.info("warm stream died before use; opening a fresh one")
                stream.channel.close(promise: nil)
                route.warm = nil
                continue
            case .upstreamDead:
                await count(.upstreamConnectFailed)
                client.close(promise: nil)
                stream.channel.close(promise: nil)
                let failure = await deathError(of: stream, to: route.endpoint, otherwise: ChannelError.ioOnClosedChannel)
                await noteUpstream(UpstreamFailure(failure))
                logger.warning("upstream stream closed before it was bridged; closing connection", metadata: ["error": "\(failure)"])
                return
            case .clientGone:
                logger.debug("client left before it was bridged")
                stream.channel.close(promise: nil)
                return
            case .bridged:
                break
            }

            guard await register(id: id, route: route, client: client, upstream: stream.channel, counters: counters) else {
                // The endpoint changed while this connection was being bridged to the old one.
                await count(.endpointGone)
                client.close(promise: nil)
                stream.channel.close(promise: nil)
                return
            }
            logger.debug("connection bridged", metadata: ["warm": "\(route.warm != nil)"])
            await withTaskCancellationHandler {
                try? await client.closeFuture.get()
                try? await stream.channel.closeFuture.get()
            } onCancel: {
                client.close(promise: nil)
                stream.channel.close(promise: nil)
            }
            await unregister(id: id)
            logger.debug(
                "connection closed",
                metadata: ["bytesIn": "\(counters.inCount)", "bytesOut": "\(counters.outCount)"]
            )
            return
        }
    }

    /// Waits for an endpoint for at most the hold timeout; nil means the connection must close.
    private nonisolated func waitWhileHeld(id: UInt64, logger: Logger) async -> Route? {
        let timeout = configuration.holdTimeout
        let clock = self.clock
        let outcome = await withTaskGroup(of: Void.self) { group in
            group.addTask {
                do {
                    try await clock.sleep(for: timeout)
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
            logger.info("no endpoint within the hold timeout; closing connection", metadata: ["holdTimeout": "\(timeout)"])
            return nil
        case .queueFull, .stopped:
            return nil
        }
    }

    /// Opens an upstream stream and records how long it took.
    nonisolated func openStream(to endpoint: UpstreamEndpoint, onAcceptPath: Bool) async throws -> UpstreamStream {
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
        do {
            // Guard the stream at once: bytes and a FIN that arrive before the bridge are kept.
            let limit = configuration.warmStreamBufferLimit
            try await eventLoop.submit {
                if stream.channel.standbyHandler == nil {
                    try UpstreamStream.addStandbyHandler(to: stream.channel.pipeline.syncOperations, bufferLimit: limit)
                }
                // Closed before it could be used: nothing will ever tell the handler.
                guard stream.channel.isActive else { throw ChannelError.ioOnClosedChannel }
            }.get()
        } catch {
            stream.channel.close(promise: nil)
            let failure = await deathError(of: stream, to: endpoint, otherwise: error)
            await noteUpstream(UpstreamFailure(failure))
            throw failure
        }
        await recordConnect(latency: latency, onAcceptPath: onAcceptPath)
        return stream
    }

    /// Why a stream died before use, in the words of whoever closed it (the kubelet's error for the pod
    /// port, say), rather than the closed channel it left behind. Call it after closing the stream.
    nonisolated func deathError(of stream: UpstreamStream, to endpoint: UpstreamEndpoint, otherwise error: any Error) async -> BerthDaemonError {
        var reason = "\(error)"
        if case .died(let cause?)? = try? await stream.standbyExit?.get() { reason = "\(cause)" }
        return .upstreamConnectFailed(forward: configuration.name, endpoint: endpoint, reason: reason)
    }
}
