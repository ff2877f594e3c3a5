import Foundation

/// The chunks a child process writes to a pipe, until end of file. A thread of its own does the
/// blocking reads: `FileHandle.readabilityHandler` can crash libdispatch on Linux when the
/// descriptor closes under it.
public func chunks(of handle: FileHandle) -> AsyncStream<Data> {
    let (stream, continuation) = AsyncStream.makeStream(of: Data.self)
    Thread.detachNewThread {
        while true {
            let data = handle.availableData
            if data.isEmpty { break }
            continuation.yield(data)
        }
        continuation.finish()
    }
    return stream
}
