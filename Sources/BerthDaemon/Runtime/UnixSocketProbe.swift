#if canImport(Glibc)
import Glibc
#endif

/// Asks the kernel whether anybody listens on a Unix-domain socket path, without sending anything.
enum UnixSocketProbe {
    enum Outcome {
        /// Someone accepted the connection: the socket is live.
        case accepted
        /// The file exists but nobody listens: the socket is stale.
        case refused
        /// No such file.
        case absent
    }

    static func connect(path: String) -> Outcome {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return .refused }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        let bytes = Array(path.utf8)
        guard bytes.count < capacity else { return .refused }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        if result == 0 { return .accepted }
        return errno == ENOENT ? .absent : .refused
    }
}
