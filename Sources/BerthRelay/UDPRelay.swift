import NIOCore
import NIOPosix

/// A `--udp` route: each accepted connection carries the datagrams of one UDP sender on berth's side. The relay
/// gives it its own UDP socket, connected to the target, so that replies are told apart by socket: each frame's
/// payload is sent as one datagram, each datagram received is framed back. Closing the connection closes the
/// socket.
enum UDPRelay {
    typealias Frames = NIOAsyncChannel<ByteBuffer, ByteBuffer>
    typealias Socket = NIOAsyncChannel<AddressedEnvelope<ByteBuffer>, ByteBuffer>

    /// Carries `client`'s frames to the route's target until either side ends; when the target cannot be
    /// resolved the client is closed.
    static func carry(_ client: Frames, to route: RelayConfiguration.Route, resolve: RelayServer.Resolver?) async {
        let socket: Socket
        do {
            let target: SocketAddress
            if let resolve {
                guard let address = resolve(route.host, route.port, .udp) else { throw RelayTargetUnknown(route: route) }
                target = address
            } else {
                target = try SocketAddress.makeAddressResolvingHost(route.host, port: route.port)
            }
            socket = try await openSocket(to: target, on: client.channel.eventLoop)
        } catch {
            try? await client.channel.close()
            return
        }
        let allocator = client.channel.allocator
        try? await client.executeThenClose { frames, replies in
            try await socket.executeThenClose { datagrams, sends in
                try await withThrowingTaskGroup { directions in
                    directions.addTask {
                        for try await payload in frames { try await sends.write(payload) }
                    }
                    directions.addTask {
                        for try await datagram in datagrams {
                            try await replies.write(try UDPFrame.frame(datagram.data, allocator: allocator))
                        }
                    }
                    // Either side ending ends the association: the sender went away, or the socket failed.
                    _ = try await directions.next()
                    directions.cancelAll()
                }
            }
        }
    }

    /// A UDP socket connected to `target` (so it hears only the target), reading datagrams of any size.
    static func openSocket(to target: SocketAddress, on eventLoop: any EventLoop) async throws -> Socket {
        try await DatagramBootstrap(group: eventLoop)
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: UDPFrame.maxPayload))
            .connect(to: target) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(DatagramErrorFilter())
                    return try Socket(wrappingChannelSynchronously: channel)
                }
            }
    }
}

/// Keeps a UDP socket's transient errors (an ICMP "port unreachable" for an earlier datagram reads as
/// ECONNREFUSED on a connected socket) from ending the association: a lost datagram is UDP's normal failure,
/// and the socket stays usable. Errors that break the socket close it, which ends the association anyway.
final class DatagramErrorFilter: ChannelInboundHandler, Sendable {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>

    func errorCaught(context: ChannelHandlerContext, error: any Error) {}
}
