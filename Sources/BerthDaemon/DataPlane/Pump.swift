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
    static func bridge(client: any Channel, upstream: UpstreamStream, counters: [ByteCounters]) throws -> Outcome {
        client.eventLoop.preconditionInEventLoop()
        let clientStandby = client.standbyHandler
        let upstreamStandby = upstream.channel.standbyHandler
        guard upstream.channel.isActive, upstreamStandby?.isAlive ?? true else { return .upstreamDead }
        guard client.isActive, clientStandby?.isAlive ?? true else { return .clientGone }
        let (clientHalf, upstreamHalf) = PumpHandler.pair(
            upstreamCanHalfClose: upstream.supportsHalfClose,
            counters: counters
        )
        try upstream.channel.pipeline.syncOperations.addHandler(upstreamHalf)
        try client.pipeline.syncOperations.addHandler(clientHalf)
        _ = upstreamStandby?.handOff()
        _ = clientStandby?.handOff()
        try upstream.channel.syncOptions?.setOption(.autoRead, value: true)
        try client.syncOptions?.setOption(.autoRead, value: true)
        return .bridged
    }
}
