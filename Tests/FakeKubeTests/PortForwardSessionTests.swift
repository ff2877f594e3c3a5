import Logging
import NIOCore
import NIOEmbedded
import SPDY
import Testing

@testable import FakeKube

// The SPDY session's decisions, frame in → frame out, without sockets (the pod here never listens, so
// no dial leaves the embedded loop).
@Suite struct PortForwardSessionTests {
    private func session() throws -> (EmbeddedChannel, PortForwardRegistry) {
        let registry = PortForwardRegistry()
        let pod = PortForwardPod(namespace: "ns", name: "web", uid: "u-1") { _ in nil }
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(SPDYSessionHandler(pod: pod, registry: registry, logger: Logger(label: "test")))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        return (channel, registry)
    }

    private func syn(_ id: UInt32, _ type: String, port: String = "80", requestID: String = "0") -> SPDYFrame {
        .synStream(
            streamID: id, associatedStreamID: 0, priority: 0, flags: 0,
            headers: [SPDYHeader(name: "streamtype", value: type), SPDYHeader(name: "port", value: port), SPDYHeader(name: "requestid", value: requestID)]
        )
    }

    private func outbound(_ channel: EmbeddedChannel) throws -> [SPDYFrame] {
        var frames: [SPDYFrame] = []
        while let frame = try channel.readOutbound(as: SPDYFrame.self) { frames.append(frame) }
        return frames
    }

    @Test func everyStreamIsRepliedAtOnceAndADialFailureEndsBothStreams() throws {
        let (channel, registry) = try session()
        try channel.writeInbound(syn(1, "error"))
        #expect(try outbound(channel) == [.synReply(streamID: 1, fin: false, headers: [])])

        try channel.writeInbound(syn(3, "data"))
        let frames = try outbound(channel)
        #expect(frames.first == .synReply(streamID: 3, fin: false, headers: []))
        guard frames.count == 4, case .data(1, false, let text) = frames[1] else {
            Issue.record("expected the error text on stream 1, got \(frames)")
            return
        }
        #expect(String(buffer: text).hasPrefix("error forwarding port 80 to pod web, uid u-1: failed to connect to localhost:80 inside namespace \"ns\""))
        // FIN the data stream, then always the error stream.
        #expect(Array(frames[2...]) == [.data(streamID: 3, fin: true, payload: ByteBuffer()), .data(streamID: 1, fin: true, payload: ByteBuffer())])
        #expect(registry.openStreams == 0)
    }

    /// What PodLinkSession gives both session handlers is theirs, not NIO's pass-through default: an error closes the
    /// session, and its end leaves no stream counted open.
    @Test func aSessionErrorClosesTheSession() throws {
        let (channel, registry) = try session()
        try channel.writeInbound(syn(1, "error"))
        struct Broken: Error {}
        channel.pipeline.fireErrorCaught(Broken())
        #expect(!channel.isActive)
        #expect(registry.openStreams == 0)
    }

    @Test func streamsArePairedByRequestIDNotByAdjacentIDs() throws {
        let (channel, _) = try session()
        try channel.writeInbound(syn(1, "error", requestID: "0"))
        try channel.writeInbound(syn(3, "error", requestID: "1"))
        try channel.writeInbound(syn(5, "data", requestID: "1"))
        let frames = try outbound(channel)
        // Only pair 1 (streams 3 and 5) is complete, so only it is ended.
        #expect(frames.contains(.data(streamID: 5, fin: true, payload: ByteBuffer())))
        #expect(frames.contains(.data(streamID: 3, fin: true, payload: ByteBuffer())))
        #expect(!frames.contains(.data(streamID: 1, fin: true, payload: ByteBuffer())))
    }

    @Test func badHeadersAreReset() throws {
        let (channel, _) = try session()
        try channel.writeInbound(syn(1, "error", port: "0"))
        try channel.writeInbound(syn(3, "video"))
        #expect(
            try outbound(channel) == [
                .rstStream(streamID: 1, status: SPDYConstants.rstProtocolError),
                .rstStream(streamID: 3, status: SPDYConstants.rstProtocolError),
            ]
        )
    }

    @Test func clientPingsAreEchoedAndGoAwayEndsTheSession() throws {
        let (channel, _) = try session()
        try channel.writeInbound(SPDYFrame.ping(id: 5))
        try channel.writeInbound(SPDYFrame.ping(id: 6))  // even: a server ping id, not echoed
        #expect(try outbound(channel) == [.ping(id: 5)])
        #expect(channel.isActive)
        try channel.writeInbound(SPDYFrame.goAway(lastGoodStreamID: 0, status: 0))
        #expect(!channel.isActive)
    }
}
