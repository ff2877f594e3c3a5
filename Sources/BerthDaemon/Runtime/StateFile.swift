import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What a running daemon publishes about itself for `berth status` and for the next daemon's start-up.
public struct DaemonState<Status: Codable & Sendable>: Codable, Sendable {
    /// The daemon process; a state whose owner is gone is stale.
    public var owner: ProcessIdentity
    /// When the daemon started.
    public var startedAt: Date
    /// The manifests it serves (absolute paths).
    public var manifests: [String]
    /// Where its control socket listens.
    public var controlSocket: String
    /// The forwards' status snapshot.
    public var status: Status
    /// Where the web dashboard listens and its token (`berth up --ui`); nil without one. The file is 0600.
    public var dashboard: DashboardLink?

    /// Creates a state record.
    public init(
        owner: ProcessIdentity, startedAt: Date, manifests: [String], controlSocket: String, status: Status,
        dashboard: DashboardLink? = nil
    ) {
        self.owner = owner
        self.startedAt = startedAt
        self.manifests = manifests
        self.controlSocket = controlSocket
        self.status = status
        self.dashboard = dashboard
    }
}

/// The JSON state file of one daemon, replaced atomically (temporary file, then rename) with mode 0600.
///
/// Readers never see a half-written file: they see the previous version or the new one.
public struct StateFile<Status: Codable & Sendable>: Sendable {
    /// What ``readValidated()`` found.
    public enum Validation: Sendable {
        /// No state file.
        case absent
        /// The state of a daemon that is still running.
        case live(DaemonState<Status>)
        /// A state file left by a dead process (or unreadable); it has been removed.
        case removedStale(reason: String)
    }

    /// The file's path.
    public let path: String

    /// A state file at `path`.
    public init(path: String) {
        self.path = path
    }

    /// Replaces the file with `state`.
    public func write(_ state: DaemonState<Status>) throws(BerthDaemonError) {
        let data: Data
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            encoder.dateEncodingStrategy = .iso8601
            data = try encoder.encode(state)
        } catch {
            throw .stateFileWriteFailed(path: path, reason: "encoding: \(error)")
        }
        let temporary = "\(path).tmp-\(getpid())-\(UInt32.random(in: .min ... .max))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .stateFileWriteFailed(path: temporary, reason: BerthDaemonError.reason(errno)) }
        let written = data.withUnsafeBytes { bytes in Self.writeAll(fd, bytes) }
        // fsync before rename: after a crash the name points at complete content or the old file.
        let synced = written && fsync(fd) == 0
        let failure = errno
        close(fd)
        guard synced, rename(temporary, path) == 0 else {
            let reason = BerthDaemonError.reason(synced ? errno : failure)
            unlink(temporary)
            throw .stateFileWriteFailed(path: path, reason: reason)
        }
    }

    /// Reads the file as it is, without judging whether its owner still runs; `nil` if it does not exist.
    public func read() throws(BerthDaemonError) -> DaemonState<Status>? {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch let error as CocoaError where error.code == .fileReadNoSuchFile {
            return nil
        } catch {
            throw .stateFileReadFailed(path: path, reason: "\(error)")
        }
        do {
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .iso8601
            return try decoder.decode(DaemonState<Status>.self, from: data)
        } catch {
            throw .stateFileReadFailed(path: path, reason: "not a berth state file: \(error)")
        }
    }

    /// Reads the file and removes it if its owner is gone, so no forward ever shows as running without a process.
    public func readValidated() -> Validation {
        let state: DaemonState<Status>?
        do {
            state = try read()
        } catch {
            remove()
            return .removedStale(reason: error.description)
        }
        guard let state else { return .absent }
        if state.owner.isAlive { return .live(state) }
        remove()
        removeUnfinishedRewrites(of: state.owner.pid)
        if ProcessIdentity.of(pid: state.owner.pid) != nil {
            return .removedStale(reason: "PID \(state.owner.pid) now belongs to a different process")
        }
        return .removedStale(reason: "PID \(state.owner.pid) is no longer running")
    }

    /// Deletes the temporary files a rewrite by `pid` left when the process died in the middle of it (`kill -9`).
    private func removeUnfinishedRewrites(of pid: Int32) {
        let url = URL(fileURLWithPath: path)
        let prefix = url.lastPathComponent + ".tmp-\(pid)-"
        let directory = url.deletingLastPathComponent().path
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return }
        for name in names where name.hasPrefix(prefix) { unlink(directory + "/" + name) }
    }

    /// Deletes the file (at shutdown, or when stale); a missing file is fine.
    public func remove() {
        unlink(path)
    }

    /// Writes every byte, retrying on EINTR; false on any other error (`errno` says which).
    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let result = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if result < 0 {
                if errno == EINTR { continue }
                return false
            }
            offset += result
        }
        return true
    }
}
