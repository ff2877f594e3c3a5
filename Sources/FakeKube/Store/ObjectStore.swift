import Foundation
import Synchronization

/// The fake cluster's etcd: every object, one monotonic resourceVersion counter, a bounded event history
/// for watch replay, and the registered watchers. All mutation is synchronous under one lock, so that
/// events reach watchers in resourceVersion order.
public final class ObjectStore: Sendable {
    struct Key: Hashable, Comparable, Sendable {
        var namespace: String
        var name: String
        static func < (lhs: Key, rhs: Key) -> Bool {
            (lhs.namespace, lhs.name) < (rhs.namespace, rhs.name)
        }
    }

    struct Watcher: Sendable {
        var resource: ResourceKind
        var deliver: @Sendable (WatchDelivery) -> Void
    }

    struct State: ~Copyable {
        var resourceVersion = 1
        var objects: [ResourceKind: [Key: JSON]] = [:]
        var history: [StoredEvent] = []
        /// Events at or below this RV are gone from the history.
        var compactedThrough = 0
        var watchers: [Int: Watcher] = [:]
        var nextWatcherID = 1
        var nextUID = 1
    }

    private let state = Mutex(State())
    private let historyLimit: Int
    private let now: @Sendable () -> Date

    /// A store keeping at most `historyLimit` events for replay.
    public init(historyLimit: Int = 2_000, now: @escaping @Sendable () -> Date = { Date() }) {
        self.historyLimit = historyLimit
        self.now = now
    }

    /// The current resourceVersion.
    public var resourceVersion: Int { state.withLock { $0.resourceVersion } }

    /// The oldest RV a watch may resume from.
    public var compactedThrough: Int { state.withLock { $0.compactedThrough } }

    /// One object, or nil.
    public func get(_ resource: ResourceKind, namespace: String, name: String) -> JSON? {
        state.withLock { $0.objects[resource]?[Key(namespace: namespace, name: name)] }
    }

    /// Every object of a resource (in one namespace, or all when nil), sorted by namespace and name, with
    /// the RV the snapshot was taken at.
    public func list(_ resource: ResourceKind, namespace: String?) -> (items: [JSON], resourceVersion: Int) {
        state.withLock { state in
            let all = state.objects[resource] ?? [:]
            let keys = all.keys.filter { namespace == nil || $0.namespace == namespace }.sorted()
            return (keys.map { all[$0]! }, state.resourceVersion)
        }
    }

    /// Adds an object, filling uid, creationTimestamp and resourceVersion. Returns the stored object, or
    /// nil when one of that name exists already.
    @discardableResult
    public func create(_ resource: ResourceKind, _ object: JSON) -> JSON? {
        let timestamp = KubeTime.format(now())
        return state.withLock { state -> JSON? in
            let key = Self.key(of: object, resource)
            guard state.objects[resource]?[key] == nil else { return nil }
            var object = object
            var metadata = object["metadata"] ?? .emptyObject
            if metadata["uid"] == nil {
                metadata["uid"] = .string(Self.uid(state.nextUID))
                state.nextUID += 1
            }
            if metadata["creationTimestamp"] == nil { metadata["creationTimestamp"] = .string(timestamp) }
            object["metadata"] = metadata
            return Self.record(&state, .added, resource, key, object, previous: nil, limit: historyLimit)
        }
    }

    /// Changes an object in place. `mutate` returns false to leave it untouched (no event). Returns the new
    /// object, or nil when it does not exist or nothing changed.
    @discardableResult
    public func update(
        _ resource: ResourceKind, namespace: String, name: String, _ mutate: (inout JSON) -> Bool
    ) -> JSON? {
        state.withLock { state -> JSON? in
            let key = Key(namespace: namespace, name: name)
            guard let previous = state.objects[resource]?[key] else { return nil }
            var object = previous
            guard mutate(&object), object != previous else { return nil }
            return Self.record(&state, .modified, resource, key, object, previous: previous, limit: historyLimit)
        }
    }

    /// Removes an object. Returns its last state (with the deletion's RV), or nil when it did not exist.
    @discardableResult
    public func delete(_ resource: ResourceKind, namespace: String, name: String) -> JSON? {
        state.withLock { state -> JSON? in
            let key = Key(namespace: namespace, name: name)
            guard let object = state.objects[resource]?[key] else { return nil }
            return Self.record(&state, .deleted, resource, key, object, previous: object, limit: historyLimit)
        }
    }

    /// Registers a watcher. With `from` nil or 0 it gets the current objects first; with `from` N it gets
    /// the retained events after N, or `.expired` when N is older than the history.
    func watch(
        _ resource: ResourceKind, from: Int?, deliver: @escaping @Sendable (WatchDelivery) -> Void
    ) -> WatchStart {
        state.withLock { state in
            var initial: [JSON] = []
            var replay: [StoredEvent] = []
            if let from, from > 0 {
                guard from >= state.compactedThrough else {
                    return .expired(requested: from, oldest: state.compactedThrough)
                }
                replay = state.history.filter { $0.resource == resource && $0.resourceVersion > from }
            } else {
                let all = state.objects[resource] ?? [:]
                initial = all.keys.sorted().map { all[$0]! }
            }
            let id = state.nextWatcherID
            state.nextWatcherID += 1
            state.watchers[id] = Watcher(resource: resource, deliver: deliver)
            return .started(id: id, initial: initial, replay: replay, resourceVersion: state.resourceVersion)
        }
    }

    /// Forgets a watcher (its stream ended).
    func unwatch(_ id: Int) {
        _ = state.withLock { $0.watchers.removeValue(forKey: id) }
    }

    /// Number of registered watchers.
    public var openWatches: Int { state.withLock { $0.watchers.count } }

    /// Ends every watch stream (chaos, restart). Watchers are told to close and forgotten.
    public func closeAllWatches() {
        let watchers = state.withLock { state in
            let all = state.watchers
            state.watchers = [:]
            return all
        }
        for watcher in watchers.values { watcher.deliver(.close) }
    }

    /// Sends `malformed` on every watch of `resource` (of every resource when nil) and returns how many it reached;
    /// a truncated event also ends those watches, and they are forgotten.
    public func sendMalformed(_ malformed: MalformedWatchEvent, to resource: ResourceKind?) -> Int {
        let watchers = state.withLock { state in
            let reached = state.watchers.filter { resource == nil || $0.value.resource == resource }
            if malformed.endsStream { for id in reached.keys { state.watchers[id] = nil } }
            return reached
        }
        for watcher in watchers.values {
            watcher.deliver(.raw(malformed.bytes(for: watcher.resource), thenEnd: malformed.endsStream))
        }
        return watchers.count
    }

    /// Drops the whole history, so that a watch resuming from any earlier RV gets 410 Expired.
    public func compact() {
        state.withLock { state in
            state.history.removeAll()
            state.compactedThrough = state.resourceVersion
        }
    }

    private static func record(
        _ state: inout State, _ type: ChangeType, _ resource: ResourceKind, _ key: Key, _ object: JSON,
        previous: JSON?, limit: Int
    ) -> JSON {
        state.resourceVersion += 1
        var object = object
        object["metadata"]?["resourceVersion"] = .string(String(state.resourceVersion))
        if type == .deleted {
            state.objects[resource]?[key] = nil
        } else {
            state.objects[resource, default: [:]][key] = object
        }
        let event = StoredEvent(
            type: type, resource: resource, object: object, previous: previous,
            resourceVersion: state.resourceVersion)
        state.history.append(event)
        if state.history.count > limit {
            let drop = state.history.count - limit
            state.compactedThrough = state.history[drop - 1].resourceVersion
            state.history.removeFirst(drop)
        }
        for watcher in state.watchers.values where watcher.resource == resource {
            watcher.deliver(.event(event))
        }
        return object
    }

    private static func key(of object: JSON, _ resource: ResourceKind) -> Key {
        Key(
            namespace: resource.namespaced ? (object["metadata"]?["namespace"]?.stringValue ?? "default") : "",
            name: object["metadata"]?["name"]?.stringValue ?? "")
    }

    private static func uid(_ counter: Int) -> String {
        let hex = String(counter, radix: 16)
        let padded = String(repeating: "0", count: max(0, 12 - hex.count)) + hex
        return "5f0c2b1e-7a3d-4c1f-9e2a-\(padded)"
    }
}
