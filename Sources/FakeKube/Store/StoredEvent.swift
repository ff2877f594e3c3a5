/// The type of a change recorded in the store's history.
public enum ChangeType: String, Sendable {
    case added = "ADDED"
    case modified = "MODIFIED"
    case deleted = "DELETED"
}

/// One change in the store, in resourceVersion order. `previous` lets a filtered watch turn an
/// object that stops matching its selector into DELETED and one that starts matching into ADDED.
public struct StoredEvent: Sendable {
    /// What happened.
    public var type: ChangeType
    /// The resource the object belongs to.
    public var resource: ResourceKind
    /// The object after the change (for DELETED, its last state), without kind/apiVersion.
    public var object: JSON
    /// The object before the change, for MODIFIED.
    public var previous: JSON?
    /// The resourceVersion of the change.
    public var resourceVersion: Int
}

/// What a watcher is told.
enum WatchDelivery: Sendable {
    case event(StoredEvent)
    /// The server ends the watch (chaos, restart, or the watcher fell too far behind).
    case close
    /// Bytes sent as they are (a malformed event, chaos), then, with `thenEnd`, the end of the stream.
    case raw([UInt8], thenEnd: Bool)
}

/// How a watch starts.
enum WatchStart: Sendable {
    /// The watch is registered; `initial` are the current objects to send as ADDED (RV unset or 0),
    /// `replay` the retained events after the requested RV.
    case started(id: Int, initial: [JSON], replay: [StoredEvent], resourceVersion: Int)
    /// The requested RV is older than the retained history.
    case expired(requested: Int, oldest: Int)
}
