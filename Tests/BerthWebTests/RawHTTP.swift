import Foundation
import NIOCore
import NIOPosix

/// HTTP/1.1 written by hand over a real socket, so a test controls every header (a browser's `Host` and
/// `Origin` included) and sees the bytes of an event stream as they come.
struct RawHTTP {
    /// A response: status code, headers (names lowercased) and body.
    struct Response {
        var status: Int
        var headers: [String: String]
        var body: String
    }

    let port: Int

    /// Sends a GET with `Connection: close` and reads the whole response.
    func send(_ target: String, host: String? = nil, headers: [String: String] = [:]) async throws -> Response {
        try await send("GET", target, host: host, headers: headers)
    }

    /// Sends one request with `Connection: close` and reads the whole response.
    func send(
        _ method: String, _ target: String, host: String? = nil, headers: [String: String] = [:]
    ) async throws -> Response {
        let channel = try await connect()
        return try await channel.executeThenClose { inbound, outbound in
            try await outbound.write(ByteBuffer(string: request(method, target, host: host, headers: headers, close: true)))
            var bytes = ByteBuffer()
            for try await var chunk in inbound { bytes.writeBuffer(&chunk) }
            return try Self.parse(String(buffer: bytes))
        }
    }

    /// Opens a GET and hands `body` the response head and a reader of the body's bytes as they arrive.
    func stream<Result>(
        _ target: String, _ body: (_ head: String, _ next: () async throws -> String?) async throws -> Result
    ) async throws -> Result {
        let channel = try await connect()
        return try await channel.executeThenClose { inbound, outbound in
            try await outbound.write(ByteBuffer(string: request("GET", target, host: nil, headers: [:], close: false)))
            var iterator = inbound.makeAsyncIterator()
            var pending = ""
            // The head ends at the first blank line; what follows it is the first of the body.
            while !pending.contains("\r\n\r\n") {
                guard let chunk = try await iterator.next() else { throw Failure(description: "closed before the head") }
                pending += String(buffer: chunk)
            }
            let split = pending.range(of: "\r\n\r\n")!
            let head = String(pending[..<split.lowerBound])
            var rest: String? = String(pending[split.upperBound...])
            return try await body(head) {
                if let first = rest, !first.isEmpty {
                    rest = nil
                    return first
                }
                return try await iterator.next().map { String(buffer: $0) }
            }
        }
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    private func connect() async throws -> NIOAsyncChannel<ByteBuffer, ByteBuffer> {
        try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
    }

    private func request(_ method: String, _ target: String, host: String?, headers: [String: String], close: Bool) -> String {
        var text = "\(method) \(target) HTTP/1.1\r\nHost: \(host ?? "127.0.0.1:\(port)")\r\n"
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        if close { text += "Connection: close\r\n" }
        if method == "POST" { text += "Content-Length: 0\r\n" }
        return text + "\r\n"
    }

    /// Parses a response; a chunked body is joined.
    static func parse(_ text: String) throws -> Response {
        guard let split = text.range(of: "\r\n\r\n") else { throw Failure(description: "no head in \(text)") }
        let lines = text[..<split.lowerBound].components(separatedBy: "\r\n")
        guard let status = lines.first?.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) else {
            throw Failure(description: "bad status line in \(text)")
        }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        var body = String(text[split.upperBound...])
        if headers["transfer-encoding"] == "chunked" { body = dechunk(body) }
        return Response(status: status, headers: headers, body: body)
    }

    /// The data of a chunked body.
    static func dechunk(_ text: String) -> String {
        var rest = Substring(text)
        var data = ""
        while let lineEnd = rest.range(of: "\r\n"), let size = Int(rest[..<lineEnd.lowerBound], radix: 16), size > 0 {
            let start = lineEnd.upperBound
            let bytes = Array(rest[start...].utf8)
            data += String(decoding: bytes.prefix(size), as: UTF8.self)
            rest = Substring(String(decoding: bytes.dropFirst(size + 2), as: UTF8.self))
        }
        return data
    }
}
