#if os(Linux)
import Glibc

/// One record of the `struct inotify_event` stream read from an inotify descriptor.
struct InotifyEvent: Equatable {
    var watch: Int32
    var mask: UInt32
    /// The file name within a watched directory; empty for events on the watched object itself.
    var name: String

    /// Parses a buffer of packed `inotify_event` records (16-byte header, then `len` NUL-padded name bytes).
    static func parse(_ bytes: UnsafeRawBufferPointer) -> [InotifyEvent] {
        var events: [InotifyEvent] = []
        var offset = 0
        let header = 16
        while offset + header <= bytes.count {
            let watch = bytes.loadUnaligned(fromByteOffset: offset, as: Int32.self)
            let mask = bytes.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self)
            let length = Int(bytes.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self))
            guard offset + header + length <= bytes.count else { break }
            let nameBytes = bytes[(offset + header)..<(offset + header + length)].prefix { $0 != 0 }
            events.append(InotifyEvent(watch: watch, mask: mask, name: String(decoding: nameBytes, as: UTF8.self)))
            offset += header + length
        }
        return events
    }
}

/// The inotify masks berth uses, named for why each bit matters.
enum InotifyMask {
    /// On a directory: every way an editor, `git checkout` or a user can replace, rewrite or remove a file in it.
    static let directory: UInt32 =
        UInt32(IN_CLOSE_WRITE) | UInt32(IN_MODIFY) | UInt32(IN_ATTRIB) | UInt32(IN_CREATE)
        | UInt32(IN_DELETE) | UInt32(IN_MOVED_FROM) | UInt32(IN_MOVED_TO)
    /// On a file (following symlinks): in-place writes to a target the directory watch cannot see.
    static let file: UInt32 =
        UInt32(IN_CLOSE_WRITE) | UInt32(IN_MODIFY) | UInt32(IN_ATTRIB) | UInt32(IN_DELETE_SELF) | UInt32(IN_MOVE_SELF)
    static let ignored = UInt32(IN_IGNORED)
    static let overflow = UInt32(IN_Q_OVERFLOW)
}
#endif
