import Foundation

/// The local IPv4 addresses some socket listens on, from `/proc/net/tcp` and `/proc/net/tcp6`
/// (IPv4-mapped entries), so a new forward never gets an address another program serves.
///
/// Only listening sockets count: a client of a forward at 127.64.0.5 also has 127.64.0.5 as its local
/// address, and its leftover TIME_WAIT entries must not push the forward to another address.
enum ListeningAddresses {
    /// Every IPv4 address with a listening TCP socket, dotted.
    static func current(procNet: String = "/proc/net") -> Set<String> {
        var result = Set<String>()
        for file in ["tcp", "tcp6"] {
            guard let text = try? String(contentsOfFile: "\(procNet)/\(file)", encoding: .utf8) else { continue }
            result.formUnion(parse(text))
        }
        return result
    }

    /// Parses a `/proc/net/tcp{,6}` table: column 2 is `HEXADDR:HEXPORT`, column 4 the state (`0A` = LISTEN).
    static func parse(_ table: String) -> Set<String> {
        var result = Set<String>()
        for line in table.split(separator: "\n").dropFirst() {
            let columns = line.split(separator: " ")
            guard columns.count > 3, columns[3] == "0A", let colon = columns[1].firstIndex(of: ":") else { continue }
            let hex = columns[1][..<colon]
            // The kernel prints the address as 32-bit words in host byte order; their bytes are in network order.
            let words = stride(from: 0, to: hex.count, by: 8).compactMap { offset -> UInt32? in
                let start = hex.index(hex.startIndex, offsetBy: offset)
                return UInt32(hex[start..<hex.index(start, offsetBy: 8)], radix: 16)
            }
            let bytes = words.flatMap { word in withUnsafeBytes(of: word) { Array($0) } }
            if bytes.count == 4 {
                result.insert(bytes.map(String.init).joined(separator: "."))
            } else if bytes.count == 16, bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xFF, bytes[11] == 0xFF {
                result.insert(bytes[12...].map(String.init).joined(separator: "."))
            }
        }
        return result
    }
}
