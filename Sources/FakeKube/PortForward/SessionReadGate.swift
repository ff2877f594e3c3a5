/// A port-forward session's reads, held while any of its pod links cannot take more bytes: neither SPDY as the
/// fake kubelet serves it nor WebSocket v4 has flow control per stream, so one slow pod pauses the whole session
/// (docs/port-forward.md). The one copy of that rule for both server session handlers, keyed by what each calls
/// a forwarded connection (a SPDY `requestid`, a v4 port index).
struct SessionReadGate<Key: Hashable> {
    private var blocking: Set<Key> = []
    private var held = false

    /// Whether the session may read now; when not, the read is held until no link blocks.
    mutating func mayRead() -> Bool {
        if blocking.isEmpty { return true }
        held = true
        return false
    }

    /// Records whether `key`'s link blocks (an ended link blocks no more); true when a held read is due now.
    mutating func set(_ key: Key, blocking isBlocking: Bool) -> Bool {
        if isBlocking {
            blocking.insert(key)
            return false
        }
        blocking.remove(key)
        guard held, blocking.isEmpty else { return false }
        held = false
        return true
    }

    /// The session ended every link.
    mutating func removeAll() {
        blocking = []
    }
}
