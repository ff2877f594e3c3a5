import BerthTestSupport
import FakeKube
import KubePortForward
import NIOCore
import NIOPosix
import Testing

// berth's SPDY client against FakeKube's kubelet, in process, over TLS: both entries, one session shared by
// many connections, half-close, the kubelet's error text, ping, and refusal.
@Suite(.timeLimit(.minutes(2)))
struct SPDYSessionTests {
    // 8 MiB over the tunnel: 64 MiB takes about a minute in a debug build. hack/bench scenario 9 checks 64 MiB
    // each way over the tunnel, through berth forward, in release binaries (docs/demo-and-bench.md).
    @Test(arguments: [(PortForwardTransport.websocketSPDY, 8 << 20), (PortForwardTransport.spdy, 64 << 20)])
    func bulkEchoIsByteExactBothWays(transport: PortForwardTransport, size: Int) async throws {
        let fixture = try await SPDYSessionFixture.start()
        let session = try await fixture.session(transport)
        #expect(session.transport == transport)
        let sent = testPayload(size: size, seed: UInt64(size))
        let clock = ContinuousClock()
        let start = clock.now
        let received = try await echoRoundTrip(try await openAsyncStream(session, port: SPDYSessionFixture.echoPort), payload: sent)
        let elapsed = clock.now - start
        #expect(received.readableBytes == sent.readableBytes)
        #expect(received == sent)
        print("SPDY bulk echo over \(transport.rawValue): \(size >> 20) MiB each way in \(elapsed)")
        session.close()
        try await session.closeFuture.get()
        await fixture.shutdown()
    }

    @Test func twoHundredConnectionsShareOneSession() async throws {
        let fixture = try await SPDYSessionFixture.start()
        let session = try await fixture.session(.spdy)
        let streams = try await withThrowingTaskGroup(of: NIOAsyncChannel<ByteBuffer, ByteBuffer>.self) { group in
            for _ in 0..<200 {
                group.addTask { try await openAsyncStream(session, port: SPDYSessionFixture.echoPort) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(session.openStreamCount == 200)
        // FakeKube sees one upgraded connection carrying 200 pairs (it counts a pair once its dial started).
        try await eventually("FakeKube counting 200 streams on one session") { fixture.server.stats().portForwardStreamsPerSession == [200] }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, stream) in streams.enumerated() {
                group.addTask {
                    let message = ByteBuffer(string: "connection \(index)")
                    let reply = try await echoRoundTrip(stream, payload: message)
                    #expect(reply == message)
                }
            }
            try await group.waitForAll()
        }
        let stats = fixture.server.stats()
        #expect(stats.totalPortForwardSessions == 1 && stats.count(verb: "portforward") == 1)
        session.close()
        try await session.closeFuture.get()
        await fixture.shutdown()
    }

    @Test func halfCloseStillDeliversTheReply() async throws {
        let fixture = try await SPDYSessionFixture.start()
        let session = try await fixture.session(.websocketSPDY)
        let stream = try await openAsyncStream(session, port: SPDYSessionFixture.echoPort)
        // request; shutdown(SHUT_WR); read the reply: the pod sees EOF only after the request.
        let reply = try await echoRoundTrip(stream, payload: ByteBuffer(string: "GET / HTTP/1.0\r\n\r\n"))
        #expect(String(buffer: reply) == "GET / HTTP/1.0\r\n\r\n")
        // Both FINs went through: the pair closed cleanly and the session carries nothing.
        try await eventually("the pair to close") { session.openStreamCount == 0 }
        session.close()
        await fixture.shutdown()
    }

    @Test func kubeletErrorTextReachesTheStream() async throws {
        let fixture = try await SPDYSessionFixture.start()
        let session = try await fixture.session(.spdy)
        let error = await #expect(throws: PortForwardError.self) {
            let stream = try await openAsyncStream(session, port: SPDYSessionFixture.deadPort)
            try await stream.executeThenClose { inbound, _ in
                for try await _ in inbound {}
            }
        }
        guard case .remoteError(let pod, let port, let message) = error else {
            Issue.record("expected remoteError, got \(String(describing: error))")
            return
        }
        #expect(pod == "lone" && port == SPDYSessionFixture.deadPort)
        #expect(message.hasPrefix("error forwarding port 7999 to pod lone, uid "))
        #expect(message.contains(#"failed to connect to localhost:7999 inside namespace "default""#))
        // One connection's failure leaves the session usable.
        let reply = try await echoRoundTrip(
            try await openAsyncStream(session, port: SPDYSessionFixture.echoPort), payload: ByteBuffer(string: "still here"))
        #expect(String(buffer: reply) == "still here")
        session.close()
        await fixture.shutdown()
    }

    @Test(arguments: PortForwardTransport.allCases.filter { $0 != .websocket })
    func sessionAnswersPing(transport: PortForwardTransport) async throws {
        let fixture = try await SPDYSessionFixture.start()
        let session = try await fixture.session(transport)
        let rtt = try await session.ping(timeout: .seconds(5)).get()
        #expect(rtt > .zero && rtt < .seconds(5))
        session.close()
        try await session.closeFuture.get()
        await #expect(throws: PortForwardError.sessionClosed) { try await session.ping(timeout: .seconds(1)).get() }
        await fixture.shutdown()
    }

    @Test(arguments: PortForwardTransport.allCases.filter { $0 != .websocket })
    func readonlyUserIsRefusedWith403(transport: PortForwardTransport) async throws {
        let fixture = try await SPDYSessionFixture.start()
        let error = await #expect(throws: PortForwardError.self) {
            _ = try await fixture.dialer(token: fixture.server.readonlyToken).openSession(
                to: SPDYSessionFixture.pod, transport: transport, on: MultiThreadedEventLoopGroup.singleton.next(), maxStreams: 10)
        }
        guard case .upgradeRejected(let code, let status, let message) = error else {
            Issue.record("expected upgradeRejected, got \(String(describing: error))")
            return
        }
        #expect(code == 403)
        #expect(status?.reason == "Forbidden")
        #expect(message.contains(#"User "readonly" cannot"#) && message.contains("pods/portforward"))
        await fixture.shutdown()
    }

    @Test func streamLimitAndClosedSessionRefuseNewStreams() async throws {
        let fixture = try await SPDYSessionFixture.start()
        let session = try await fixture.session(.spdy, maxStreams: 1)
        let first = try await openAsyncStream(session, port: SPDYSessionFixture.echoPort)
        await #expect(throws: PortForwardError.sessionFull) { _ = try await openAsyncStream(session, port: SPDYSessionFixture.echoPort) }
        session.close()
        try await session.closeFuture.get()
        // The open stream died with its session.
        try await first.executeThenClose { inbound, _ in
            do { for try await _ in inbound {} } catch {}
        }
        await #expect(throws: PortForwardError.sessionClosed) { _ = try await openAsyncStream(session, port: SPDYSessionFixture.echoPort) }
        await fixture.shutdown()
    }
}
