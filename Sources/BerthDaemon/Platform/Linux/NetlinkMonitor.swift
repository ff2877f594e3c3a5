#if os(Linux)
import Foundation
import Logging
import Glibc

/// Listens to rtnetlink for link, address and route changes and yields them as ``NetworkChange``s.
///
/// The socket is bound when the monitor is created, so nothing that happens afterwards is missed.
/// Iterating the monitor (once) delivers the changes; ending the iteration (or releasing the monitor)
/// ends the reader thread and closes the socket. Changes are signals, not a log: if the consumer falls
/// behind, the oldest undelivered ones are dropped (the buffer is bounded), which cannot hide that the
/// network changed.
public final class NetlinkMonitor: NetworkEventSource {
    /// A change of the network.
    public typealias Element = NetworkChange

    private let reader: DescriptorReader
    private let stream: AsyncStream<NetworkChange>

    /// Opens and binds the rtnetlink socket.
    /// - Parameters:
    ///   - namespacePath: a network namespace to listen in (such as `/run/netns/NAME`); `nil` for the
    ///     daemon's own. Tests use it to watch interfaces they create in a namespace of their own.
    ///   - bufferLimit: how many undelivered changes are kept before the oldest are dropped.
    ///   - logger: receives a line when the kernel reports lost notifications.
    public init(namespacePath: String?, bufferLimit: Int = 256, logger: Logger) throws(BerthDaemonError) {
        let fd = try NamespaceSocket.open(namespacePath: namespacePath) { () throws(BerthDaemonError) -> Int32 in
            try Self.openSocket()
        }
        let reader = try DescriptorReader(descriptor: fd)
        let (stream, continuation) = AsyncStream<NetworkChange>.makeStream(bufferingPolicy: .bufferingNewest(Swift.max(1, bufferLimit)))
        self.reader = reader
        self.stream = stream
        continuation.onTermination = { _ in reader.stop() }
        reader.start(name: "berth-netlink") { descriptor in
            Self.drain(descriptor, logger: logger) { continuation.yield($0) }
        }
    }

    /// Listens in the daemon's own network namespace.
    convenience init(logger: Logger) throws(BerthDaemonError) {
        try self.init(namespacePath: nil, logger: logger)
    }

    deinit {
        reader.stop()
    }

    /// Iterates the changes; it keeps the monitor alive while iterating.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let monitor: NetlinkMonitor
        var base: AsyncStream<NetworkChange>.Iterator

        /// The next change, or `nil` once the iterating task is cancelled.
        public mutating func next() async -> NetworkChange? {
            await base.next()
        }
    }

    /// See `AsyncSequence`.
    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(monitor: self, base: stream.makeAsyncIterator())
    }

    private static func openSocket() throws(BerthDaemonError) -> Int32 {
        let fd = socket(AF_NETLINK, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), Netlink.familyRoute)
        guard fd >= 0 else { throw .netlinkSocketFailed(step: "socket", errno: errno) }
        // struct sockaddr_nl (<linux/netlink.h>, not imported by Swift's Glibc module):
        // u16 nl_family, u16 nl_pad, u32 nl_pid (0: let the kernel choose), u32 nl_groups.
        var address = [UInt8](repeating: 0, count: 12)
        address.withUnsafeMutableBytes { raw in
            raw.storeBytes(of: UInt16(AF_NETLINK), toByteOffset: 0, as: UInt16.self)
            raw.storeBytes(of: Netlink.groups, toByteOffset: 8, as: UInt32.self)
        }
        let bound = address.withUnsafeBytes { raw in
            bind(fd, raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t(raw.count))
        }
        guard bound == 0 else {
            let code = errno
            close(fd)
            throw .netlinkSocketFailed(step: "bind", errno: code)
        }
        return fd
    }

    /// Reads every queued datagram (the socket is non-blocking) and reports the changes in them.
    private static func drain(_ fd: Int32, logger: Logger, report: (NetworkChange) -> Void) -> Bool {
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count < 0 {
                switch errno {
                case EINTR: continue
                case EAGAIN, EWOULDBLOCK: return true
                case ENOBUFS:
                    // The kernel overran our receive buffer and dropped notifications.
                    logger.notice("network notifications were lost; assuming the network changed")
                    report(NetworkChange(kind: .unknown))
                    continue
                default:
                    logger.error("reading network notifications failed", metadata: ["error": "\(BerthDaemonError.reason(errno))"])
                    return false
                }
            }
            if count == 0 { return true }
            let changes = buffer.withUnsafeBytes { Netlink.changes(in: UnsafeRawBufferPointer(rebasing: $0[..<count])) }
            for change in changes { report(change) }
        }
    }
}

/// This platform's network change events: rtnetlink.
typealias PlatformNetworkEvents = NetlinkMonitor
#endif
