import BerthTestSupport
import KubePortForward
import NIOCore
import Testing

@testable import BerthDaemon

/// Plays a kubelet that accepted the stream but could not dial the pod port: the client's first bytes are
/// swallowed, then the error channel's text arrives and the stream closes, before any pod byte.
final class KubeletDialRefusalHandler: ChannelOutboundHandler, @unchecked Sendable {
    // @unchecked: used only on its channel's event loop, as every channel handler.
    typealias OutboundIn = ByteBuffer
    private var refused = false

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        promise?.succeed()
        guard !refused else { return }
        refused = true
        let error = PortForwardError.remoteError(
            pod: "a", port: 8080,
            message: #"error forwarding port 8080 to pod a, uid uid-a: failed to connect to localhost:8080 inside namespace "default": connect: connection refused"#)
        context.eventLoop.assumeIsolated().execute {
            context.fireErrorCaught(error)
            context.close(promise: nil)
        }
    }
}

/// The first `refusals` streams refuse as `KubeletDialRefusalHandler` does; the rest reach the test servers.
final class DialRefusingConnector: UpstreamConnector {
    private let inner: CountingConnector
    private let refusals: Countdown

    init(refusals: Int, servers: [UpstreamEndpoint: TestServer]) {
        inner = CountingConnector(servers: servers)
        self.refusals = Countdown(refusals)
    }

    func connect(to endpoint: UpstreamEndpoint, on eventLoop: any EventLoop) async throws -> UpstreamStream {
        var stream = try await inner.connect(to: endpoint, on: eventLoop)
        stream.neverReachedPod = PortForwardUpstreamConnector.kubeletCouldNotDial
        if refusals.take() {
            let channel = stream.channel
            try await eventLoop.submit {
                try channel.pipeline.syncOperations.addHandler(KubeletDialRefusalHandler(), position: .first)
            }.get()
        }
        return stream
    }
}

/// A connection whose stream the kubelet could not dial to the pod port, after the client's bytes were pumped
/// into it but before any pod byte, goes back to the hold queue with every byte and reaches the next stream
/// (docs/data-plane.md, "Connection rules").
@Suite struct ReplayAfterBridgeTests {
    @Test func bytesPumpedIntoAStreamTheKubeletCouldNotDialReachTheNextStream() async throws {
        let podA = try await TestServer.start(.echo(greeting: nil))
        let connector = DialRefusingConnector(refusals: 1, servers: [pod("a"): podA])
        // No warm streams: the connection opens its own stream, is bridged at once, and only then hears the refusal.
        try await withForward(.init(name: "replay", warmStreams: 0), connector: connector, endpoint: pod("a")) { forward in
            let request = "GET / HTTP/1.1\r\nHost: a\r\n\r\n"
            let echoed = try await sendAndReadToEnd(request, port: forward.port, "replayed to the next stream")
            #expect(echoed == request, "every byte the client sent, once, and its EOF")
            let counters = await forward.counters()
            #expect(counters.errorCount(.reheld) == 1)
        }
        await podA.stop()
    }

    @Test func theKubeletsOtherErrorsStillCloseTheConnection() {
        #expect(PortForwardUpstreamConnector.kubeletCouldNotDial(PortForwardError.remoteError(
            pod: "a", port: 80, message: "error forwarding port 80 to pod a, uid u: failed to connect to localhost:80 inside namespace \"d\": refused")))
        #expect(!PortForwardUpstreamConnector.kubeletCouldNotDial(PortForwardError.remoteError(
            pod: "a", port: 80, message: "error copying from remote stream to local connection: broken pipe")))
        #expect(!PortForwardUpstreamConnector.kubeletCouldNotDial(PortForwardError.sessionClosed))
    }
}
