import BerthManifest
import BerthTestSupport
import FakeKube
import Foundation
import NIOCore
import NIOPosix
import Testing

@testable import BerthDaemon

/// `ForwardConfiguration.warmStreamBufferLimit` is what a warm stream keeps from a pod that speaks first,
/// over every transport: past it the pod talks unasked and the forward keeps no warm streams to it
/// (docs/data-plane.md, "Warm streams").
@Suite(.serialized, .timeLimit(.minutes(1)))
struct WarmStreamBufferLimitTests {
    /// Sent by the pod as soon as a stream reaches it: under the default 64 KiB, over the small limit below.
    static let greetingSize = 4 * 1024
    static let smallLimit = 1024
    static let greeter = UpstreamEndpoint(namespace: "default", podName: "greeter", podUID: "uid-greeter", port: 8080)

    @Test(arguments: [TransportChoice.websocket, .spdy])
    func aWarmStreamPastTheForwardsOwnLimitIsRetired(transport: TransportChoice) async throws {
        try await Self.withGreeter(transport: transport, bufferLimit: Self.smallLimit) { forward in
            try await eventually("the forward to stop warming a pod that sends \(Self.greetingSize) bytes", within: 10) {
                await forward.warmTalksUnasked
            }
            #expect(await forward.counters().warmStreamsReady == 0)
        }
    }

    @Test(arguments: [TransportChoice.websocket, .spdy])
    func underTheLimitTheWarmStreamKeepsTheGreetingForItsClient(transport: TransportChoice) async throws {
        try await Self.withGreeter(transport: transport, bufferLimit: 64 * 1024) { forward in
            try await eventually("a warm stream ready") { await forward.counters().warmStreamsReady == 1 }
            let received = try await Self.read(Self.greetingSize, from: forward.port)
            #expect(received == Self.greetingSize)
            // Counted by the forward as it bridges, which may finish after the client's first bytes came.
            try await eventually("the connection counted on a warm stream") { await forward.counters().warmStreamsUsed == 1 }
            #expect(await !forward.warmTalksUnasked)
        }
    }

    /// Runs a forward over `transport` to a pod whose port 8080 greets every stream with `greetingSize` bytes.
    private static func withGreeter(
        transport: TransportChoice, bufferLimit: Int, _ body: (Forward) async throws -> Void
    ) async throws {
        let pod = try await GreetingPodServer(size: greetingSize)
        let address = pod.address
        let server = try await PortForwardLoopbackServer.start(pods: [
            PortForwardPod(namespace: "default", name: "greeter", uid: "uid-greeter") { $0 == 8080 ? address : nil }
        ])
        let configuration = ForwardConfiguration(name: "greeter", warmStreams: 1, warmStreamBufferLimit: bufferLimit)
        do {
            let kubeconfig = try loopbackKubeconfig(server: server)
            defer { try? FileManager.default.removeItem(atPath: kubeconfig) }
            try await ForwardThroughAPI.with(kubeconfig: kubeconfig, configuration, endpoint: greeter, transport: transport, body)
        } catch {
            try? await server.shutdown()
            await pod.stop()
            throw error
        }
        try? await server.shutdown()
        await pod.stop()
    }

    /// Connects to the forward and reads until `count` bytes came (or the stream ended).
    private static func read(_ count: Int, from port: Int) async throws -> Int {
        let client = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel) }
            }
        return try await client.executeThenClose { inbound, _ in
            var received = 0
            for try await chunk in inbound {
                received += chunk.readableBytes
                if received >= count { break }
            }
            return received
        }
    }
}

/// A pod server that sends `size` bytes on every connection it accepts and then keeps it open, reading
/// nothing back: a server that speaks first (a banner, a database handshake) without streaming.
private final class GreetingPodServer: Sendable {
    let channel: any Channel
    var address: SocketAddress { channel.localAddress! }

    init(size: Int) async throws {
        let greeting = ByteBuffer(repeating: 0x67, count: size)
        channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { child in
                child.eventLoop.makeCompletedFuture { try child.pipeline.syncOperations.addHandler(Greeter(greeting: greeting)) }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
    }

    func stop() async {
        try? await channel.close()
    }
}

/// Writes its greeting as the connection becomes active.
private final class Greeter: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    let greeting: ByteBuffer
    init(greeting: ByteBuffer) { self.greeting = greeting }

    func channelActive(context: ChannelHandlerContext) {
        context.writeAndFlush(NIOAny(greeting), promise: nil)
        context.fireChannelActive()
    }
}
