import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The per-user directory holding berth's lock files, state files and control sockets.
///
/// It lives under `$XDG_RUNTIME_DIR/berth` when that is set (cleared at logout, on a tmpfs), else under
/// `~/.local/state/berth`. It is private: mode 0700, owned by the current user.
public struct RuntimeDirectory: Sendable, Hashable {
    /// The directory's absolute path.
    public let path: String

    /// Uses an explicit directory (tests pass a temporary one).
    public init(path: String) {
        self.path = path
    }

    /// The standard location for the given environment.
    public static func standard(environment: [String: String] = ProcessInfo.processInfo.environment) -> RuntimeDirectory {
        if let runtime = environment["XDG_RUNTIME_DIR"], !runtime.isEmpty {
            return RuntimeDirectory(path: runtime + "/berth")
        }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return RuntimeDirectory(path: home + "/.local/state/berth")
    }

    /// Creates the directory if needed and makes sure only this user can enter it.
    public func prepare() throws(BerthDaemonError) {
        do {
            try FileManager.default.createDirectory(
                atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700]
            )
        } catch {
            throw .runtimeDirectoryUnusable(path: path, reason: "\(error)")
        }
        var info = stat()
        guard lstat(path, &info) == 0 else {
            throw .runtimeDirectoryUnusable(path: path, reason: BerthDaemonError.reason(errno))
        }
        guard info.st_mode & S_IFMT == S_IFDIR else {
            throw .runtimeDirectoryUnusable(path: path, reason: "not a directory")
        }
        guard info.st_uid == geteuid() else {
            throw .runtimeDirectoryUnusable(path: path, reason: "owned by uid \(info.st_uid), not \(geteuid())")
        }
        // An existing directory may have been created with a looser umask.
        if info.st_mode & 0o777 != 0o700, chmod(path, 0o700) != 0 {
            throw .runtimeDirectoryUnusable(path: path, reason: "chmod 0700: " + BerthDaemonError.reason(errno))
        }
    }

    /// The state file of the daemon serving `manifests`.
    public func stateFilePath(for manifests: ManifestSet) -> String { "\(path)/\(manifests.id).state.json" }

    /// The lock file of the daemon serving `manifests`.
    public func lockFilePath(for manifests: ManifestSet) -> String { "\(path)/\(manifests.id).lock" }

    /// The control socket of the daemon serving `manifests`.
    public func controlSocketPath(for manifests: ManifestSet) -> String { "\(path)/\(manifests.id).sock" }
}
