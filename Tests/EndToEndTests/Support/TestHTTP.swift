import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A minimal HTTP/1.0 GET over a blocking socket on its own thread, so a held connection never blocks the
/// cooperative pool the daemon needs to bridge it.
enum TestHTTP {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// GETs `path` (`/` by default) from `host`:`port` (`::1` or an IPv4 address such as `127.64.3.9`) and
    /// returns the whole response (headers and body).
    static func get(port: Int, host: String = "127.0.0.1", path: String = "/", timeoutSeconds: Int = 15) async throws -> String {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                continuation.resume(with: Result { try blockingGet(host: host, port: port, path: path, timeoutSeconds: timeoutSeconds) })
            }
            thread.start()
        }
    }

    /// Whether anything accepts connections on 127.0.0.1:`port`.
    static func isListening(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = loopback(port: port)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }

    private static func loopback(port: Int, host: String = "127.0.0.1") -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr(host)
        return address
    }

    /// `::1`:`port`.
    private static func loopback6(port: Int) -> sockaddr_in6 {
        var address = sockaddr_in6()
        address.sin6_family = sa_family_t(AF_INET6)
        address.sin6_port = in_port_t(UInt16(port).bigEndian)
        address.sin6_addr = in6addr_loopback
        return address
    }

    private static func connectLoopback(_ fd: Int32, host: String, port: Int) -> Int32 {
        func connect<Address>(_ address: Address) -> Int32 {
            withUnsafePointer(to: address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<Address>.size)) }
            }
        }
        return host == "::1" ? connect(loopback6(port: port)) : connect(loopback(port: port, host: host))
    }

    private static func blockingGet(host: String, port: Int, path: String, timeoutSeconds: Int) throws -> String {
        let fd = socket(host == "::1" ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket() failed") }
        defer { close(fd) }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        guard connectLoopback(fd, host: host, port: port) == 0 else {
            throw Failure(description: "connect to \(host) port \(port) failed: errno \(errno)")
        }
        let request = Array("GET \(path) HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".utf8)
        guard write(fd, request, request.count) == request.count else { throw Failure(description: "write failed") }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(fd, &buffer, buffer.count)
            if count < 0 { throw Failure(description: "read failed or timed out: errno \(errno); got \(response.count) bytes") }
            if count == 0 { break }
            response += buffer[0..<count]
        }
        let text = String(decoding: response, as: UTF8.self)
        guard text.hasPrefix("HTTP/1.") else { throw Failure(description: "not an HTTP response: \(text)") }
        return text
    }
}

/// Holds a listening socket on 127.0.0.1 (a port "already in use") until closed.
final class PortSquatter: Sendable {
    let port: Int
    private let fd: Int32

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.fd = fd
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 1) == 0 else { throw TestHTTP.Failure(description: "cannot bind a squatter socket") }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        port = Int(UInt16(bigEndian: actual.sin_port))
    }

    func close() {
        _ = Glibc.close(fd)
    }
}
