import NIOCore

/// Joins an accepted client channel to an upstream stream.
enum Pump {
    /// What came of an attempt to bridge.
    enum Outcome: Sendable {
        /// Bytes flow; the connection ends when both channels close.
        case bridged
        /// The upstream stream died before it could be used; nothing was changed.
        case upstreamDead
        /// The client went away before it could be bridged.
        case clientGone
    }

    /// Installs the pump on both channels, hands over what their stand-by handlers kept, and starts
    /// reading. Must run on their shared event loop, so the liveness checks and the hand-off happen
    /// with nothing in between: a dead stream is never handed out.
    ///
    /// With `replayed`, the client's first bytes are kept (up to `replayLimit`) until the pod's first byte, and
    /// `replayed` completes with the error when the stream turned out never to have reached the pod and the client
    /// was taken out of the pump, with those bytes, for another stream; with nil when the pump ended otherwise.
    /// `onFirstAnswer` runs once the pod's first bytes have been passed on, or a side ends (see `PumpHandler`).
    static func bridge(
        client: any Channel, upstream: UpstreamStream, counters: [ByteCounters],
        replayLimit: Int = 0, replayed: EventLoopPromise<(any Error)?>? = nil, onFirstAnswer: (() -> Void)? = nil
    ) throws -> Outcome {
        client.eventLoop.preconditionInEventLoop()
        let clientStandby = client.standbyHandler
        let upstreamStandby = upstream.channel.standbyHandler
        guard upstream.channel.isActive, upstreamStandby?.isAlive ?? true else {
            replayed?.succeed(nil)
            return .upstreamDead
        }
        guard client.isActive, clientStandby?.isAlive ?? true else {
            replayed?.succeed(nil)
            return .clientGone
        }
        // Armed only when the stream can tell a dial failure and there is room to keep bytes; else said at once.
        let armed = upstream.neverReachedPod != nil && replayLimit > 0
        let (clientHalf, upstreamHalf) = PumpHandler.pair(
            counters: counters,
            replayLimit: replayLimit,
            neverReachedPod: upstream.neverReachedPod ?? { _ in false },
            replayed: armed ? replayed : nil,
            onFirstAnswer: onFirstAnswer
        )
        if !armed { replayed?.succeed(nil) }
        try upstream.channel.pipeline.syncOperations.addHandler(upstreamHalf)
        try client.pipeline.syncOperations.addHandler(clientHalf)
        _ = upstreamStandby?.handOff()
        _ = clientStandby?.handOff()
        try upstream.channel.syncOptions?.setOption(.autoRead, value: true)
        try client.syncOptions?.setOption(.autoRead, value: true)
        return .bridged
    }
}
