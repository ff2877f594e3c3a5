import NIOCore
import NIOPosix
import Testing

@testable import BerthDaemon

@Suite struct ListenerTests {
    @Test func portZeroBindsAFreePortAndReportsIt() async throws {
        let listener = try await ForwardListener.bind(host: "127.0.0.1", port: 0, eventLoop: MultiThreadedEventLoopGroup.singleton.next())
        #expect(listener.port > 0)
        #expect(listener.localAddress.ipAddress == "127.0.0.1")
        // The reported port is really ours: a second bind on it must fail.
        await #expect(throws: BerthDaemonError.portInUse(address: "127.0.0.1", port: listener.port)) {
            _ = try await ForwardListener.bind(host: "127.0.0.1", port: listener.port, eventLoop: MultiThreadedEventLoopGroup.singleton.next())
        }
        await listener.close()
    }

    @Test func portInUseIsATypedErrorNamingAddressAndPort() async throws {
        let other = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).get()
        let port = other.localAddress!.port!
        do {
            _ = try await ForwardListener.bind(host: "127.0.0.1", port: port, eventLoop: MultiThreadedEventLoopGroup.singleton.next())
            Issue.record("bind on a used port succeeded")
        } catch {
            #expect(error == .portInUse(address: "127.0.0.1", port: port))
            #expect(error.description.contains("127.0.0.1:\(port)"))
        }
        try await other.close()
    }

    @Test func unassignedAddressIsATypedError() async throws {
        // 127.0.0.1/8 is all loopback on Linux, so use a TEST-NET address no interface has.
        do {
            _ = try await ForwardListener.bind(host: "192.0.2.1", port: 0, eventLoop: MultiThreadedEventLoopGroup.singleton.next())
            Issue.record("bind on an unassigned address succeeded")
        } catch {
            #expect(error == .addressUnavailable(address: "192.0.2.1", port: 0))
        }
    }

    @Test func acceptedSocketsHaveNoDelayAndKeepaliveAndWaitForTheBridge() async throws {
        let listener = try await ForwardListener.bind(host: "127.0.0.1", port: 0, eventLoop: MultiThreadedEventLoopGroup.singleton.next())
        let (accepted, taken) = AsyncStream.makeStream(of: (any Channel).self)
        try await listener.startAccepting { taken.yield($0) }
        let client = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: listener.port).get()
        var iterator = accepted.makeAsyncIterator()
        let channel = try #require(await iterator.next())
        #expect(channel.isActive, "a connection is handed over once active")
        #expect(try await channel.getOption(.tcpOption(.tcp_nodelay)).get() != 0)
        // TCP_NODELAY's number at the socket level is SO_DEBUG, which only a privileged process may set.
        #expect(try await channel.getOption(.socketOption(NIOBSDSocket.Option(rawValue: SO_DEBUG))).get() == 0)
        #expect(try await channel.getOption(.socketOption(.so_keepalive)).get() != 0)
        #expect(try await channel.getOption(.allowRemoteHalfClosure).get())
        #expect(try await channel.getOption(.autoRead).get() == false)
        try await channel.close()
        await listener.close()
        // The client may already have seen the close.
        try? await client.close()
    }

    @Test(.timeLimit(.minutes(1))) func nothingIsAcceptedBeforeAForwardTakesConnectionsAndTheKernelKeepsThemTillThen() async throws {
        let listener = try await ForwardListener.bind(host: "127.0.0.1", port: 0, eventLoop: MultiThreadedEventLoopGroup.singleton.next())
        // The handshake completes in the kernel's queue; nothing in berth sees the connection yet.
        let client = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: listener.port).get()
        let (accepted, taken) = AsyncStream.makeStream(of: (any Channel).self)
        try await listener.startAccepting { taken.yield($0) }
        var iterator = accepted.makeAsyncIterator()
        let channel = try #require(await iterator.next())
        #expect(channel.remoteAddress?.port == client.localAddress?.port)
        try await channel.close()
        await listener.close()
        try? await client.close()
    }
}
