import Logging

/// What the operating system provides about the network: a sequence of changes to links, addresses and
/// routes, for the settler to debounce into one resync.
///
/// Each platform provides one implementation, named `PlatformNetworkEvents`, in `Platform/<OS>/`; on Linux
/// that is rtnetlink (``NetlinkMonitor``). Changes are signals, not a log: an implementation may drop old
/// ones when its consumer falls behind, as long as it still reports that something changed.
protocol NetworkEventSource: AsyncSequence<NetworkChange, Never>, Sendable {
    /// Starts listening; nothing that happens afterwards is missed.
    init(logger: Logger) throws(BerthDaemonError)
}
