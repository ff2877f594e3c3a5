import NIOCore

/// Joins an accepted client channel to an upstream stream.
enum Pump {
    /// What came of an attempt to bridge.
    enum Outcome: Sendable {
        /// Bytes flow; the connection ends when both channels close.
        case bridged
        /// The warm stream died before it could be used; nothing was changed.
        case warmStreamDead
        /// The client went away before it could be bridged.
        case clientGone
    }

    /// Installs the pump on both channels and starts reading. Must run on their shared event loop,
    /// so the liveness checks and the hand-off happen with nothing in between.
    static func bridge(
        client: any Channel,
        upstream: UpstreamStream,
        warm: WarmStreamHandler?,
        counters: [ByteCounters]
    ) throws -> Outcome {
        client.eventLoop.preconditionInEventLoop()
        if let warm, !warm.isAlive { return .warmStreamDead }
        guard client.isActive else { return .clientGone }
        let (clientHalf, upstreamHalf) = PumpHandler.pair(
            upstreamCanHalfClose: upstream.supportsHalfClose,
            counters: counters
        )
        try upstream.channel.pipeline.syncOperations.addHandler(upstreamHalf)
        try client.pipeline.syncOperations.addHandler(clientHalf)
        if let warm { _ = warm.handOff() }
        try upstream.channel.syncOptions?.setOption(.autoRead, value: true)
        try client.syncOptions?.setOption(.autoRead, value: true)
        return .bridged
    }
}
