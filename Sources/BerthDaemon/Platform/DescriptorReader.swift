import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A dedicated thread that blocks in `poll(2)` on one descriptor (inotify, netlink) and hands each
/// readable moment to a callback.
///
/// inotify and netlink descriptors are not sockets NIO can register portably, and a blocking reader
/// must not sit on a cooperative-pool thread. A second descriptor wakes the thread so
/// ``stop()`` ends it promptly (a pipe: Swift's Glibc module does not import `eventfd`); the thread closes both descriptors itself on its way out, so no
/// descriptor outlives the thread and none is closed while the thread may still use it.
final class DescriptorReader: Sendable {
    private enum Phase {
        case idle
        case running
        case stopped
    }

    /// Shared with the thread: the owner may be gone while the thread is still exiting.
    private final class Control: Sendable {
        let descriptor: Int32
        /// Readable end of the wake pipe, polled by the thread.
        let wakeDescriptor: Int32
        /// Writable end of the wake pipe, written by `stop()`.
        let wakeWriter: Int32
        let phase = Mutex(Phase.idle)

        init(descriptor: Int32, wakeDescriptor: Int32, wakeWriter: Int32) {
            self.descriptor = descriptor
            self.wakeDescriptor = wakeDescriptor
            self.wakeWriter = wakeWriter
        }

        /// Closes both descriptors exactly once; called with the phase lock held.
        func closeDescriptors(_ phase: inout Phase) {
            guard phase != .stopped else { return }
            phase = .stopped
            close(descriptor)
            close(wakeDescriptor)
            close(wakeWriter)
        }
    }

    private let control: Control

    /// Takes ownership of `descriptor` (closed when the reader stops, even if it never starts).
    init(descriptor: Int32) throws(BerthDaemonError) {
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else {
            let code = errno
            close(descriptor)
            throw .wakePipeFailed(errno: code)
        }
        for end in ends {
            _ = fcntl(end, F_SETFD, FD_CLOEXEC)
            _ = fcntl(end, F_SETFL, fcntl(end, F_GETFL) | O_NONBLOCK)
        }
        control = Control(descriptor: descriptor, wakeDescriptor: ends[0], wakeWriter: ends[1])
    }

    /// Starts the thread. `onReadable` runs on it whenever the descriptor is readable and returns `false`
    /// to stop reading (for example after an unrecoverable error).
    func start(name: String, onReadable: @escaping @Sendable (Int32) -> Bool) {
        let control = self.control
        let started = control.phase.withLock { phase -> Bool in
            guard phase == .idle else { return false }
            phase = .running
            return true
        }
        guard started else { return }
        let thread = Thread {
            Self.loop(control: control, onReadable: onReadable)
            control.phase.withLock { control.closeDescriptors(&$0) }
        }
        thread.name = name
        thread.start()
    }

    /// Ends the thread (or, if it never started, closes the descriptors now). Safe to call repeatedly.
    func stop() {
        control.phase.withLock { phase in
            switch phase {
            case .idle:
                control.closeDescriptors(&phase)
            case .running:
                // Under the lock: the thread cannot have closed (and the number cannot have been reused).
                var byte: UInt8 = 1
                _ = write(control.wakeWriter, &byte, 1)
            case .stopped:
                break
            }
        }
    }

    deinit {
        stop()
    }

    private static func loop(control: Control, onReadable: @Sendable (Int32) -> Bool) {
        var fds = [
            pollfd(fd: control.descriptor, events: Int16(POLLIN), revents: 0),
            pollfd(fd: control.wakeDescriptor, events: Int16(POLLIN), revents: 0),
        ]
        while true {
            fds[0].revents = 0
            fds[1].revents = 0
            let ready = poll(&fds, nfds_t(fds.count), -1)
            if ready < 0 {
                if errno == EINTR { continue }
                return
            }
            if fds[1].revents != 0 { return }
            if fds[0].revents & Int16(POLLIN) != 0 {
                if !onReadable(control.descriptor) { return }
            } else if fds[0].revents != 0 {
                return
            }
        }
    }
}
