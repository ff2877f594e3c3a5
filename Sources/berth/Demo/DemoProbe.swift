import NIOCore
import NIOHTTP1
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

/// What the demo speaks through a forwarded port, chosen by what the pod's server answers.
enum DemoProtocol: String, Sendable {
    /// `GET /` and expect a 200.
    case http
    /// Send a line, expect the same bytes back.
    case echo
}

/// One request through a forward on a fresh connection, so that every request crosses berth's accept path.
enum DemoProbe {
    /// Why a request failed, in words a demo viewer understands.
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// A failed request in a few words, led by which kind of failure it was. berth closes a connection for
    /// an upstream failure only once its bytes may have reached a pod, so a connection cut before the hold ran
    /// out was inside a pod that died; one cut at the hold waited for a ready pod that did not come.
    static func describe(_ error: any Error, after took: Duration, hold: Duration) -> String {
        let what: String = switch error {
        case let failure as Failure: failure.description
        case let io as IOError where io.errnoCode == ECONNRESET: "connection reset"
        case let io as IOError where io.errnoCode == ECONNREFUSED: "connection refused"
        case ChannelError.connectTimeout: "connect timed out"
        default: "\(error)"
        }
        switch error {
        case let io as IOError where io.errnoCode == ECONNREFUSED:
            return "refused (nothing listens on the local port): \(what)"
        case ChannelError.connectTimeout:
            return "not accepted: \(what)"
        case is Failure where what.hasPrefix("no reply within"):
            return "timed out: \(what)"
        default:
            if took >= hold - .milliseconds(500) {
                return "held past the \(DemoSummary.seconds(hold)) hold (no ready pod came): \(what)"
            }
            return "in flight on a pod that died: \(what)"
        }
    }

    /// Bounds what a reply may be; a pod never sends more than a small JSON body.
    static let replyLimit = 64 * 1024

    /// Sends one request to 127.0.0.1:`port` and checks the reply; throws `Failure` (or a NIO error) when it fails.
    static func request(
        _ kind: DemoProtocol, port: Int, sequence: Int, group: any EventLoopGroup
    ) async throws {
        switch kind {
        case .http: try await httpGet(port: port, group: group)
        case .echo: try await echo(port: port, payload: "berth demo \(sequence)\n", group: group)
        }
    }

    private static func bootstrap(_ group: any EventLoopGroup) -> ClientBootstrap {
        ClientBootstrap(group: group)
            .connectTimeout(.seconds(2))
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
    }

    private static func httpGet(port: Int, group: any EventLoopGroup) async throws {
        let channel = try await bootstrap(group).connect(host: "127.0.0.1", port: port) { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHTTPClientHandlers()
                return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(wrappingChannelSynchronously: channel)
            }
        }
        let raw = channel.channel
        try await withTaskCancellationHandler {
          try await channel.executeThenClose { inbound, outbound in
            var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/")
            head.headers.add(name: "Host", value: "127.0.0.1:\(port)")
            head.headers.add(name: "Connection", value: "close")
            try await outbound.write(.head(head))
            try await outbound.write(.end(nil))
            var status: HTTPResponseStatus?
            var received = 0
            for try await part in inbound {
                switch part {
                case .head(let response):
                    status = response.status
                case .body(let chunk):
                    received += chunk.readableBytes
                    guard received <= replyLimit else { throw Failure(description: "reply longer than \(replyLimit) bytes") }
                case .end:
                    guard status == .ok else { throw Failure(description: "HTTP \(status.map { "\($0.code)" } ?? "?")") }
                    return
                }
            }
            throw Failure(description: status == nil ? "connection closed before a reply" : "connection closed mid-reply")
          }
        } onCancel: {
            // Closing ends the reads below at once: a demo that stops never waits out a held connection.
            raw.close(promise: nil)
        }
    }

    private static func echo(port: Int, payload: String, group: any EventLoopGroup) async throws {
        let channel = try await bootstrap(group).connect(host: "127.0.0.1", port: port) { channel in
            channel.eventLoop.makeCompletedFuture {
                try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
            }
        }
        let expected = ByteBuffer(string: payload)
        let raw = channel.channel
        try await withTaskCancellationHandler {
          try await channel.executeThenClose { inbound, outbound in
            try await outbound.write(expected)
            var received = ByteBuffer()
            for try await chunk in inbound {
                received.writeImmutableBuffer(chunk)
                if received.readableBytes >= expected.readableBytes { break }
            }
            guard received == expected else {
                throw Failure(description: received.readableBytes == 0
                    ? "connection closed before the echo" : "echo differs from what was sent")
            }
          }
        } onCancel: {
            raw.close(promise: nil)
        }
    }
}
