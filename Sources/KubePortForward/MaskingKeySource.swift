#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOWebSocket

/// Masking keys for the WebSocket messages a client sends, drawn from the system's random source 64 at a time.
///
/// RFC 6455 §5.3 wants each key unpredictable, from a strong source of entropy; it does not want a system call per
/// message, which `WebSocketMaskingKey.random()` makes on Linux (a `getrandom` of 8 bytes for each key). On Linux the
/// keys come from `/dev/urandom` (the kernel's CSPRNG, as `getrandom`, which Swift's Glibc module does not export),
/// opened once per process; where it cannot be read, each key comes from `WebSocketMaskingKey.random()`.
struct MaskingKeySource {
    #if canImport(Glibc)
    private static let urandom: CInt = open("/dev/urandom", O_RDONLY | O_CLOEXEC)
    #endif

    private static let keysPerFill = 64
    private var bytes = [UInt8](repeating: 0, count: MaskingKeySource.keysPerFill * 4)
    private var position = MaskingKeySource.keysPerFill * 4

    mutating func next() -> WebSocketMaskingKey {
        if position == bytes.count {
            guard Self.fill(&bytes) else { return .random() }
            position = 0
        }
        defer { position += 4 }
        // Four bytes always make a key.
        return WebSocketMaskingKey(bytes[position..<position + 4])!
    }

    /// True when every byte came from the system's random source.
    private static func fill(_ bytes: inout [UInt8]) -> Bool {
        bytes.withUnsafeMutableBytes { raw in
            #if canImport(Glibc)
            guard urandom >= 0 else { return false }
            return read(urandom, raw.baseAddress, raw.count) == raw.count
            #elseif canImport(Darwin)
            arc4random_buf(raw.baseAddress, raw.count)
            return true
            #else
            return false
            #endif
        }
    }
}
