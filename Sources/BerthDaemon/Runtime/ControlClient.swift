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
            guard let answer = try await exchange(request) else {
                throw BerthDaemonError.controlRequestFailed(socketPath: path, reason: "the daemon closed the connection without replying")
            }
            data = answer
        } catch let error as BerthDaemonError {
            throw goneOr(error)
        } catch {
            throw goneOr(.controlRequestFailed(socketPath: path, reason: "\(error)"))
        }
        return try decode(data, as: Response.self)
    }

    /// Sends `request`, which asks the daemon to stop. Once the request is written, a connection that closes or
    /// fails is the daemon stopping as asked (it may close its socket before its reply is flushed), not an error.
    /// - Throws: ``BerthDaemonError/daemonNotRunning(socketPath:)`` when nothing listens before the request,
    ///   ``BerthDaemonError/controlRequestRejected(socketPath:message:)`` when the daemon refused it.
    public func callThatStops<Request: Codable & Sendable>(_ request: Request) async throws(BerthDaemonError) {
        let channel = try await connectedOrNotRunning()
        let answer: Data?
        do {
            answer = try await exchange(request, on: channel)
        } catch {
            return
        }
        guard let answer else { return }
        _ = try decode(answer, as: AnyReply.self)
    }

    /// Connects, writes `request` and reads one line back: nil when the daemon closed without one.
    private func exchange<Request: Codable & Sendable>(_ request: Request) async throws -> Data? {
        try await exchange(request, on: try await connectedOrNotRunning())
    }

    private func exchange<Request: Codable & Sendable>(
        _ request: Request, on channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>
    ) async throws -> Data? {
        var line = try JSONEncoder().encode(request)
        line.append(UInt8(ascii: "\n"))
        let answer = try await channel.executeThenClose { lines, requests in
            try await requests.write(ByteBuffer(bytes: line))
            var iterator = lines.makeAsyncIterator()
            return try await iterator.next()
        }
        return answer.map { Data($0.readableBytesView) }
    }

    private func connectedOrNotRunning() async throws(BerthDaemonError) -> NIOAsyncChannel<ByteBuffer, ByteBuffer> {
        do {
            return try await connect()
        } catch {
            // No socket file, or a file nobody listens on: no daemon serves these manifests.
            if UnixSocketProbe.connect(path: path) != .accepted { throw .daemonNotRunning(socketPath: path) }
            throw .controlRequestFailed(socketPath: path, reason: "\(error)")
        }
    }

    private func decode<Response: Codable & Sendable>(_ data: Data, as: Response.Type) throws(BerthDaemonError) -> Response {
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

/// A reply whose content does not matter, only whether it is a refusal.
private struct AnyReply: Codable, Sendable {}
