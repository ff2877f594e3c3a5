#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What tells one version of a kubeconfig file from another without reading it: an edit changes the
/// modification time or size, a rename over it (how editors save) the inode. nil means no such file.
///
/// File times are coarse (a kernel tick), so two writes close together can share one: like git's "racy"
/// index entries, a stamp younger than `settleTime` proves nothing and the file must be read again.
struct KubeconfigStamp: Equatable, Sendable {
    /// Far above the coarsest file-time granularity (10 ms at HZ=100).
    static let settleTime = 0.1

    var device: UInt64
    var inode: UInt64
    var size: Int64
    var modifiedSeconds: Int
    var modifiedNanoseconds: Int

    /// The stamp of `path` now, or nil when it cannot be stat'ed (absent files are part of the answer too).
    init?(path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
        size = Int64(info.st_size)
        #if canImport(Darwin)
        modifiedSeconds = info.st_mtimespec.tv_sec
        modifiedNanoseconds = info.st_mtimespec.tv_nsec
        #else
        modifiedSeconds = info.st_mtim.tv_sec
        modifiedNanoseconds = info.st_mtim.tv_nsec
        #endif
    }

    /// Whether the file was last modified long enough ago for the stamp to identify its content.
    var isSettled: Bool {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let age = Double(now.tv_sec - modifiedSeconds) + Double(now.tv_nsec - modifiedNanoseconds) / 1e9
        return age >= Self.settleTime
    }
}
