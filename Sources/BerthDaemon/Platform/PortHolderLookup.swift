/// What the operating system can say about who holds a local port, for the `PortInUse` message.
///
/// Each platform provides one implementation, named `PlatformPortHolder`, in `Platform/<OS>/`; on Linux it
/// reads /proc.
protocol PortHolderLookup {
    /// The process listening on local TCP `port`, such as `nginx (pid 1234)`; nil when the OS does not tell
    /// (best effort: another user's sockets may be hidden).
    static func describe(port: Int) -> String?
}
