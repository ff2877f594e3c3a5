import NIOCore

/// One upstream byte stream, ready to be pumped: in production one port-forward WebSocket.
///
/// The contract with the data plane:
/// - `channel` reads and writes plain `ByteBuffer`s at the tail of its pipeline.
/// - It is returned with `ChannelOptions.autoRead` off and with `addStandbyHandler(to:)` called while
///   the channel was set up, so that no byte, FIN or close reaches the pipeline's tail before the
///   data plane installs the pump (a server that speaks first, like SSH or MySQL, would otherwise
///   lose its greeting, and a stream the server closed early would look alive).
/// - When the remote side has finished sending: with `supportsHalfClose` the channel fires
///   `ChannelEvent.inputClosed` and stays writable; without it the channel closes.
/// - With `supportsHalfClose`, `close(mode: .output)` sends end-of-stream and keeps reading.
///   Without it (WebSocket v4 has no half-close) the data plane asks for it all the same when the client
///   has finished sending: the stream keeps reading and may end itself after the pod falls silent (v4's
///   `localEOFGrace`), but must not cut off what the pod still sends.
public struct UpstreamStream: Sendable {
    /// The channel carrying the bytes.
    public let channel: any Channel
    /// Whether end-of-stream can be sent in one direction while the other stays open.
    public let supportsHalfClose: Bool
    /// Whether the stream rides a session shared with other streams (SPDY), so opening one more costs a
    /// frame rather than a connection: the default `warm` follows it (docs/manifest.md).
    public let multiplexed: Bool
    /// The stand-by wait of a connector of this module, whose end says why a stream died before use.
    let standbyExit: EventLoopFuture<StandbyExit>?
    /// Whether an error the stream reports means none of its bytes reached the pod (the kubelet could not dial
    /// the pod port): the client's first bytes are then kept and go to the next stream. Nil: never assumed.
    var neverReachedPod: (@Sendable (any Error) -> Bool)?

    /// Adds the handler that keeps what arrives before the pump takes over (bytes, the remote's FIN,
    /// a close). Connectors call it while setting up the channel, after their protocol handlers, so
    /// that no event can slip past between the connect and the bridge; the data plane adds it itself
    /// for streams that lack it, but then an early FIN could already have been lost.
    public static func addStandbyHandler(
        to pipeline: ChannelPipeline.SynchronousOperations,
        bufferLimit: Int = 64 * 1024
    ) throws {
        _ = try installStandbyHandler(to: pipeline, bufferLimit: bufferLimit)
    }

    /// `addStandbyHandler(to:)` for connectors of this module, which also read why a stream died early.
    static func installStandbyHandler(
        to pipeline: ChannelPipeline.SynchronousOperations,
        bufferLimit: Int = 64 * 1024
    ) throws -> StandbyHandler {
        let handler = StandbyHandler(bufferLimit: bufferLimit, endOfInputIsDeath: false, eventLoop: pipeline.eventLoop)
        try pipeline.addHandler(handler)
        return handler
    }

    /// Wraps a connected channel.
    public init(channel: any Channel, supportsHalfClose: Bool, multiplexed: Bool = false) {
        self.init(channel: channel, supportsHalfClose: supportsHalfClose, multiplexed: multiplexed, standbyExit: nil)
    }

    init(channel: any Channel, supportsHalfClose: Bool, multiplexed: Bool = false, standbyExit: EventLoopFuture<StandbyExit>?) {
        self.channel = channel
        self.supportsHalfClose = supportsHalfClose
        self.multiplexed = multiplexed
        self.standbyExit = standbyExit
    }
}

/// Opens one upstream byte stream to an endpoint (one WebSocket per connection in production).
///
/// The stream's channel must run on `eventLoop`: the forward's listener, its accepted connections
/// and its upstreams share one loop, so the byte pump never hops threads.
public protocol UpstreamConnector: Sendable {
    /// Opens a stream to `endpoint` whose channel lives on `eventLoop`.
    func connect(to endpoint: UpstreamEndpoint, on eventLoop: any EventLoop) async throws -> UpstreamStream
}
