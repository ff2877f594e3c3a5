#if os(Linux)
import Foundation

/// Names the process that listens on a local TCP port, from /proc, for the `PortInUse` message.
///
/// Best effort: another user's sockets are not visible without privileges; then nil.
enum ProcPortHolder: PortHolderLookup {
    /// `nginx (pid 1234)`, or nil when /proc does not tell.
    static func describe(port: Int) -> String? {
        guard let inode = listeningInode(port: port), let pid = process(owning: inode) else { return nil }
        let command = (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines) ?? "?"
        return "\(command) (pid \(pid))"
    }

    /// The socket inode of a LISTEN entry (state 0A) for `port` in /proc/net/tcp or tcp6.
    private static func listeningInode(port: Int) -> String? {
        let hexPort = String(format: "%04X", port)
        for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
            guard let text = KernelTextFile.contents(of: table) else { continue }
            for line in text.split(separator: "\n").dropFirst() {
                let fields = line.split(separator: " ", omittingEmptySubsequences: true)
                guard fields.count > 9, fields[3] == "0A", fields[1].hasSuffix(":" + hexPort) else { continue }
                return String(fields[9])
            }
        }
        return nil
    }

    private static func process(owning inode: String) -> Int? {
        let target = "socket:[\(inode)]"
        let manager = FileManager.default
        guard let entries = try? manager.contentsOfDirectory(atPath: "/proc") else { return nil }
        for entry in entries {
            guard let pid = Int(entry), let fds = try? manager.contentsOfDirectory(atPath: "/proc/\(pid)/fd") else { continue }
            for fd in fds where (try? manager.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\(fd)")) == target {
                return pid
            }
        }
        return nil
    }
}

/// This platform's port-holder lookup: /proc.
typealias PlatformPortHolder = ProcPortHolder
#endif
