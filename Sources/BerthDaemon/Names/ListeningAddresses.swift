import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The local IPv4 addresses some socket listens on, from `/proc/net/tcp` and `/proc/net/tcp6`
/// (IPv4-mapped entries), so a new forward never gets an address another program serves.
///
/// Only listening sockets count: a client of a forward at 127.64.0.5 also has 127.64.0.5 as its local
/// address, and its leftover TIME_WAIT entries must not push the forward to another address.
enum ListeningAddresses {
    /// A listening TCP socket: its IPv4 address, dotted (`0.0.0.0` for every address, IPv6 `::` included), and port.
    struct Listener: Hashable {
        var address: String
        var port: Int
    }

    /// How many times the tables are read at most; see `listeners(procNet:)`.
    static let maximumPasses = 4

    /// Every IPv4 address with a listening TCP socket, dotted.
    static func current(procNet: String = "/proc/net") -> Set<String> {
        Set(listeners(procNet: procNet).map(\.address))
    }

    /// Every listening TCP socket.
    ///
    /// Each table is read to its end (see ``KernelTextFile``). The kernel hands it out a page per `read(2)`, and
    /// each read resumes at an entry count, so sockets that open or close between two reads (thousands of
    /// TIME_WAIT entries on a busy machine) can shift a listener past the point where the next read starts: one
    /// pass may miss it. The tables are read again
    /// until a pass finds nothing new, and the passes are joined. What a race still hides, the allocation
    /// catches by binding (`isInUse(address:port:)`).
    static func listeners(procNet: String = "/proc/net") -> Set<Listener> {
        var result = Set<Listener>()
        for _ in 0..<maximumPasses {
            var pass = Set<Listener>()
            for file in ["tcp", "tcp6"] {
                guard let table = KernelTextFile.contents(of: "\(procNet)/\(file)") else { continue }
                pass.formUnion(listeners(in: table))
            }
            if pass.isSubset(of: result) { break }
            result.formUnion(pass)
        }
        return result
    }

    /// The IPv4 addresses that listen in a `/proc/net/tcp{,6}` table.
    static func parse(_ table: String) -> Set<String> {
        Set(listeners(in: table).map(\.address))
    }

    /// Parses a `/proc/net/tcp{,6}` table: column 2 is `HEXADDR:HEXPORT`, column 4 the state (`0A` = LISTEN).
    static func listeners(in table: String) -> Set<Listener> {
        var result = Set<Listener>()
        for line in table.split(separator: "\n").dropFirst() {
            let columns = line.split(separator: " ")
            guard columns.count > 3, columns[3] == "0A", let colon = columns[1].firstIndex(of: ":"),
                  let port = Int(columns[1][columns[1].index(after: colon)...], radix: 16)
            else { continue }
            let hex = columns[1][..<colon]
            // The kernel prints the address as 32-bit words in host byte order; their bytes are in network order.
            let words = stride(from: 0, to: hex.count, by: 8).compactMap { offset -> UInt32? in
                let start = hex.index(hex.startIndex, offsetBy: offset)
                return UInt32(hex[start..<hex.index(start, offsetBy: 8)], radix: 16)
            }
            let bytes = words.flatMap { word in withUnsafeBytes(of: word) { Array($0) } }
            if bytes.count == 4 {
                result.insert(Listener(address: bytes.map(String.init).joined(separator: "."), port: port))
            } else if bytes.count == 16, bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xFF, bytes[11] == 0xFF {
                result.insert(Listener(address: bytes[12...].map(String.init).joined(separator: "."), port: port))
            } else if bytes.count == 16, bytes.allSatisfy({ $0 == 0 }) {
                // `::` takes the port on every IPv4 address too, unless the socket is IPv6-only.
                result.insert(Listener(address: "0.0.0.0", port: port))
            }
        }
        return result
    }

    /// Whether binding a TCP socket to `address`:`port` fails because the port is in use there, which is what
    /// the forward's own bind would meet. `SO_REUSEADDR`, as the forward's listener binds: a TIME_WAIT left by
    /// a closed connection does not count.
    static func isInUse(address: String, port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var one: Int32 = 1
        _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var sin = sockaddr_in()
        sin.sin_family = sa_family_t(AF_INET)
        sin.sin_port = in_port_t(UInt16(truncatingIfNeeded: port)).bigEndian
        guard inet_pton(AF_INET, address, &sin.sin_addr) == 1 else { return false }
        let bound = withUnsafePointer(to: &sin) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        return bound != 0 && errno == EADDRINUSE
    }
}
