import Foundation
import NIOCore
import NIOPosix

/// Calls a daemon's control socket: one JSON line out, one JSON line back.
public struct ControlClient: Sendable {
    /// The socket's path.
    public let path: String
    private let eventLoopGroup: any EventLoopGroup

    /// A client for the socket at `path`.
    public init(path: String, eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.path = path
        self.eventLoopGroup = eventLoopGroup
    }

    /// Sends `request` and returns the daemon's response.
    /// - Throws: ``BerthDaemonError/daemonNotRunning(socketPath:)`` when nothing listens, before or after the
    ///   request (no socket file, or connection refused: so the CLI can say so truthfully), ``BerthDaemonError/controlRequestRejected(socketPath:message:)`` when the daemon refused
    ///   the request, ``BerthDaemonError/controlRequestFailed(socketPath:reason:)`` otherwise.
    public func call<Request: Codable & Sendable, Response: Codable & Sendable>(
        _ request: Request,
        expecting: Response.Type = Response.self
    ) async throws(BerthDaemonError) -> Response {
        let data: Data
        do {
            var line = try JSONEncoder().encode(request)
            line.append(UInt8(ascii: "\n"))
            let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>
            do {
                channel = try await connect()
            } catch {
                // No socket file, or a file nobody listens on: no daemon serves these manifests.
                if UnixSocketProbe.connect(path: path) != .accepted { throw BerthDaemonError.daemonNotRunning(socketPath: path) }
                throw error
            }
            let answer = try await channel.executeThenClose { lines, requests in
                try await requests.write(ByteBuffer(bytes: line))
                var iterator = lines.makeAsyncIterator()
                return try await iterator.next()
            }
            guard let answer else {
                throw BerthDaemonError.controlRequestFailed(socketPath: path, reason: "the daemon closed the connection without replying")
            }
            data = Data(answer.readableBytesView)
        } catch let error as BerthDaemonError {
            throw goneOr(error)
        } catch {
            throw goneOr(.controlRequestFailed(socketPath: path, reason: "\(error)"))
        }
        let reply: ControlReply<Response>
        do {
            reply = try JSONDecoder().decode(ControlReply<Response>.self, from: data)
        } catch {
            // The daemon answered: whatever is wrong with the answer, it is not "no daemon".
            throw .controlRequestFailed(socketPath: path, reason: "cannot read the daemon's reply: \(error)")
        }
        if let response = reply.ok { return response }
        throw .controlRequestRejected(socketPath: path, message: reply.error ?? "empty reply")
    }

    /// A request that failed in transit because the daemon stopped meanwhile (its socket no longer accepts)
    /// means no daemon; with the socket still accepting, the failure itself is the answer.
    private func goneOr(_ error: BerthDaemonError) -> BerthDaemonError {
        guard case .controlRequestFailed = error, UnixSocketProbe.connect(path: path) != .accepted else { return error }
        return .daemonNotRunning(socketPath: path)
    }

    private func connect() async throws -> NIOAsyncChannel<ByteBuffer, ByteBuffer> {
        try await ClientBootstrap(group: eventLoopGroup)
            .connect(unixDomainSocketPath: path) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        ByteToMessageHandler(LineFrameDecoder(maxLineLength: ControlProtocol.maxLineLength))
                    )
                    return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
    }
}
