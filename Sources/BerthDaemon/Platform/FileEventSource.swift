/// What the operating system provides for watching files: it reports which of a set of files changed.
///
/// ``FileWatcher`` builds on it (debouncing, iteration) and knows nothing of how the OS reports changes.
/// Each platform provides one implementation, named `PlatformFileEvents`, in `Platform/<OS>/`; on Linux
/// that is inotify.
protocol FileEventSource: Sendable {
    /// Starts watching `files` (absolute, standardised paths). A file may be missing, to be reported when it
    /// appears, but its directory must exist. Files that are replaced (renamed over, deleted and recreated)
    /// must go on being watched.
    /// - Parameter touched: called on any thread with the watched files that changed, as soon as the OS says so.
    init(files: Set<String>, touched: @escaping @Sendable (Set<String>) -> Void) throws(BerthDaemonError)

    /// Stops watching and releases what the OS holds for it; `touched` is not called afterwards. Idempotent.
    func stop()
}
