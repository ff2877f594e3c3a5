import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One HTTP/1.1 keep-alive connection to 127.0.0.1, blocking, for tests that need the same TCP connection
/// across several requests (a connection that must live through a rollout).
/// Calls block a thread of their own, never the cooperative pool; a test uses one call at a time.
final class KeepAliveHTTP: Sendable {
    private let fd: Int32

    /// Connects to 127.0.0.1:`port`; reads time out after `timeoutSeconds`.
    init(port: Int, timeoutSeconds: Int = 15) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestHTTP.Failure(description: "socket() failed") }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            Glibc.close(fd)
            throw TestHTTP.Failure(description: "connect to port \(port) failed: errno \(errno)")
        }
    }

    deinit { Glibc.close(fd) }

    /// Sends `GET /` and returns the whole response (headers and a `Content-Length` body).
    func get() async throws -> String {
        try await onThread { try self.blockingGet() }
    }

    /// Waits (up to the read timeout) until the server closes the connection; true if it did.
    func awaitClose() async -> Bool {
        (try? await onThread { self.blockingAwaitClose() }) ?? false
    }

    private func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try body() }) }.start()
        }
    }

    private func blockingGet() throws -> String {
        let request = Array("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8)
        guard write(fd, request, request.count) == request.count else { throw TestHTTP.Failure(description: "write failed: errno \(errno)") }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let text = String(decoding: response, as: UTF8.self)
            if let end = text.range(of: "\r\n\r\n") {
                let length = text[..<end.lowerBound].split(separator: "\r\n")
                    .first { $0.lowercased().hasPrefix("content-length:") }
                    .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) } ?? 0
                if text.utf8.distance(from: end.upperBound.samePosition(in: text.utf8)!, to: text.utf8.endIndex) >= length { return text }
            }
            let count = read(fd, &buffer, buffer.count)
            if count < 0 { throw TestHTTP.Failure(description: "read failed or timed out: errno \(errno)") }
            if count == 0 { throw TestHTTP.Failure(description: "connection closed; got: \(text)") }
            response += buffer[0..<count]
        }
    }

    private func blockingAwaitClose() -> Bool {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(fd, &buffer, buffer.count)
            if count == 0 { return true }
            if count < 0 { return errno == ECONNRESET }
        }
    }
}
