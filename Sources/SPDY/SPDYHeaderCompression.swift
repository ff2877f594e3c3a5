import CZlib
import NIOCore

// SPDY/3 compresses every header block of one direction with ONE zlib stream for the whole session,
// seeded with the SPDY dictionary and sync-flushed per block. Resetting per frame is the classic interop
// bug (kubectl then fails with "compressed payload size was incorrect"), so each session owns exactly one
// deflater and one inflater and feeds them every header block in order.

/// The sending side: one deflate stream per session.
public final class SPDYHeaderDeflater {
    private let stream: UnsafeMutablePointer<z_stream>

    /// Starts the session's context, seeded with the SPDY/3 dictionary.
    /// - Parameter level: zlib's 1 (fastest) to 9 (smallest); 9 is what kubectl and the kubelet use. Any level
    ///   interoperates: the receiver's inflate does not depend on it.
    public init(level: Int32 = 9) throws(SPDYError) {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        var rc = deflateInit2_(stream, level, Z_DEFLATED, 15, 8, Z_DEFAULT_STRATEGY, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        // On a throw below, deinit still runs (the object is fully initialised) and frees the stream.
        guard rc == Z_OK else { throw .headerCompressionFailed(zlibCode: rc) }
        rc = SPDYDictionary.bytes.withUnsafeBufferPointer { dict in
            deflateSetDictionary(stream, dict.baseAddress, UInt32(dict.count))
        }
        guard rc == Z_OK else { throw .headerCompressionFailed(zlibCode: rc) }
    }

    deinit {
        deflateEnd(stream)
        stream.deallocate()
    }

    /// Compresses one header block and sync-flushes, so the output is exactly this block's bytes.
    public func compress(_ input: ByteBuffer, into output: inout ByteBuffer) throws(SPDYError) {
        var input = input
        let rc: Int32 = input.withUnsafeMutableReadableBytes { inBytes in
            stream.pointee.next_in = inBytes.bindMemory(to: Bytef.self).baseAddress
            stream.pointee.avail_in = UInt32(inBytes.count)
            var rc: Int32 = Z_OK
            repeat {
                var code: Int32 = Z_OK
                output.writeWithUnsafeMutableBytes(minimumWritableBytes: 256) { outBytes in
                    stream.pointee.next_out = outBytes.bindMemory(to: Bytef.self).baseAddress
                    stream.pointee.avail_out = UInt32(outBytes.count)
                    code = deflate(stream, Z_SYNC_FLUSH)
                    return outBytes.count - Int(stream.pointee.avail_out)
                }
                rc = code
            } while rc == Z_OK && stream.pointee.avail_out == 0
            stream.pointee.next_in = nil
            return rc
        }
        guard rc == Z_OK || rc == Z_BUF_ERROR else { throw .headerCompressionFailed(zlibCode: rc) }
    }
}

/// The receiving side: one inflate stream per session.
public final class SPDYHeaderInflater {
    /// Header blocks are tiny; anything past this is an attack or a bug, not a header block.
    public static let maximumBlockSize = 256 * 1024

    private let stream: UnsafeMutablePointer<z_stream>

    /// Starts the session's context, seeded with the SPDY/3 dictionary.
    public init() throws(SPDYError) {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        let rc = inflateInit_(stream, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard rc == Z_OK else { throw .headerCompressionFailed(zlibCode: rc) }
    }

    deinit {
        inflateEnd(stream)
        stream.deallocate()
    }

    /// Inflates one header block; the sender's sync flush guarantees every input byte is consumed.
    public func decompress(_ input: ByteBuffer) throws(SPDYError) -> ByteBuffer {
        var input = input
        var output = ByteBuffer()
        let rc: Int32 = input.withUnsafeMutableReadableBytes { inBytes in
            stream.pointee.next_in = inBytes.bindMemory(to: Bytef.self).baseAddress
            stream.pointee.avail_in = UInt32(inBytes.count)
            var rc: Int32 = Z_OK
            while true {
                if output.readableBytes > Self.maximumBlockSize { return Z_MEM_ERROR }
                var code: Int32 = Z_OK
                output.writeWithUnsafeMutableBytes(minimumWritableBytes: 1024) { outBytes in
                    stream.pointee.next_out = outBytes.bindMemory(to: Bytef.self).baseAddress
                    stream.pointee.avail_out = UInt32(outBytes.count)
                    code = inflate(stream, Z_SYNC_FLUSH)
                    if code == Z_NEED_DICT {
                        code = SPDYDictionary.bytes.withUnsafeBufferPointer { dict in
                            inflateSetDictionary(stream, dict.baseAddress, UInt32(dict.count))
                        }
                    }
                    return outBytes.count - Int(stream.pointee.avail_out)
                }
                rc = code
                if rc != Z_OK { break }
                if stream.pointee.avail_in == 0 && stream.pointee.avail_out != 0 { break }
            }
            let leftover = stream.pointee.avail_in
            stream.pointee.next_in = nil
            if rc == Z_BUF_ERROR && leftover == 0 { return Z_OK }
            if rc == Z_OK && leftover != 0 { return Z_DATA_ERROR }
            return rc
        }
        guard rc == Z_OK else { throw .headerDecompressionFailed(zlibCode: rc) }
        return output
    }
}
