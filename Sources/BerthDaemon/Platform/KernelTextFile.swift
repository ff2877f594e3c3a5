#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a kernel-generated text file (`/proc/net/tcp` and the like) to its end.
///
/// Such files report a size of 0 and hand out about a page per `read(2)`; Foundation's
/// `String(contentsOfFile:)` returned only that first page, so every socket past the first few dozen was
/// missed. Here reads go on until end of file.
enum KernelTextFile {
    /// The whole file as UTF-8 text; nil if it cannot be opened or read.
    static func contents(of path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                return nil
            }
            if count == 0 { break }
            bytes += chunk[0..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
