import NIOCore

/// One upstream byte stream, ready to be pumped: in production one port-forward WebSocket.
///
/// The contract with the data plane:
/// - `channel` reads and writes plain `ByteBuffer`s at the tail of its pipeline.
/// - It is returned with `ChannelOptions.autoRead` off and with nothing read past the handshake, so
///   that no byte reaches the pipeline's tail before the data plane installs its handler (a server
///   that speaks first, like SSH or MySQL, would otherwise lose its greeting).
/// - When the remote side has finished sending: with `supportsHalfClose` the channel fires
///   `ChannelEvent.inputClosed` and stays writable; without it the channel closes.
/// - With `supportsHalfClose`, `close(mode: .output)` sends end-of-stream and keeps reading.
///   Without it (WebSocket v4 has no half-close) the data plane never asks for it: a client's EOF
///   is then not passed on, and the connection ends when the pod ends it.
public struct UpstreamStream: Sendable {
    /// The channel carrying the bytes.
    public let channel: any Channel
    /// Whether end-of-stream can be sent in one direction while the other stays open.
    public let supportsHalfClose: Bool

    /// Wraps a connected channel.
    public init(channel: any Channel, supportsHalfClose: Bool) {
        self.channel = channel
        self.supportsHalfClose = supportsHalfClose
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
