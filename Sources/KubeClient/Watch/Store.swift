import KubeAPI
import Synchronization

/// The in-memory cache of one reflector: one writer (the reflector), any number of snapshot readers.
///
/// Reads are synchronous and never wait on the network; a snapshot is an immutable copy-on-write value, so a
/// reader holding one is unaffected by later writes. Writes return the changes they made so the informer can
/// forward them to its subscribers.
public final class Store<Object: KubeResource>: Sendable {
    private struct State {
        var objects: [ObjectKey: Object] = [:]
        var resourceVersion: String?
        var hasSynced = false
    }

    private let state = Mutex(State())

    /// An empty store that has not synced.
    public init() {}

    /// Whether a complete list has been stored at least once.
    public var hasSynced: Bool { state.withLock { $0.hasSynced } }

    /// The resourceVersion of the last list or event written.
    public var resourceVersion: String? { state.withLock { $0.resourceVersion } }

    /// The current contents.
    public func snapshot() -> StoreSnapshot<Object> {
        state.withLock { StoreSnapshot(objects: $0.objects, resourceVersion: $0.resourceVersion, hasSynced: $0.hasSynced) }
    }

    /// One object by key.
    public func object(forKey key: ObjectKey) -> Object? {
        state.withLock { $0.objects[key] }
    }

    /// Replaces everything with a complete list at `resourceVersion` and marks the store synced.
    /// Returns the difference as synthetic changes: deletes for vanished keys, adds for new keys, and updates
    /// for keys whose resourceVersion changed (an unchanged object is not reported).
    @discardableResult
    public func replace(_ items: [Object], resourceVersion: String?) -> [StoreChange<Object>] {
        var fresh: [ObjectKey: Object] = [:]
        fresh.reserveCapacity(items.count)
        for item in items {
            if let key = ObjectKey(item) { fresh[key] = item }
        }
        return state.withLock { state in
            var changes: [StoreChange<Object>] = []
            for (key, old) in state.objects where fresh[key] == nil {
                changes.append(.deleted(old))
            }
            for (key, new) in fresh {
                if let old = state.objects[key] {
                    if Self.changed(old, new) { changes.append(.updated(old: old, new: new)) }
                } else {
                    changes.append(.added(new))
                }
            }
            state.objects = fresh
            state.resourceVersion = resourceVersion
            state.hasSynced = true
            return changes
        }
    }

    /// Applies one watch event. ADDED of a known key is an update and MODIFIED of an unknown key an add, so a
    /// replayed or reordered stream still converges; DELETED of an unknown key changes nothing.
    /// BOOKMARK moves the resourceVersion only; ERROR changes nothing.
    @discardableResult
    public func apply(_ event: WatchEvent<Object>) -> StoreChange<Object>? {
        switch event {
        case .added(let object), .modified(let object):
            guard let key = ObjectKey(object) else { return nil }
            return state.withLock { state in
                state.resourceVersion = object.metadata.resourceVersion ?? state.resourceVersion
                let old = state.objects.updateValue(object, forKey: key)
                if let old { return .updated(old: old, new: object) }
                return .added(object)
            }
        case .deleted(let object):
            guard let key = ObjectKey(object) else { return nil }
            return state.withLock { state in
                state.resourceVersion = object.metadata.resourceVersion ?? state.resourceVersion
                guard state.objects.removeValue(forKey: key) != nil else { return nil }
                return .deleted(object)
            }
        case .bookmark(let resourceVersion):
            state.withLock { $0.resourceVersion = resourceVersion }
            return nil
        case .error:
            return nil
        }
    }

    private static func changed(_ old: Object, _ new: Object) -> Bool {
        guard let a = old.metadata.resourceVersion, let b = new.metadata.resourceVersion else { return true }
        return a != b
    }
}

/// An immutable view of a store at one moment.
public struct StoreSnapshot<Object: KubeResource>: Sendable {
    /// Every object by key.
    public let objects: [ObjectKey: Object]
    /// The resourceVersion the snapshot is consistent with.
    public let resourceVersion: String?
    /// Whether the store had completed a list when the snapshot was taken.
    public let hasSynced: Bool

    /// The objects ordered by namespace and name.
    public var items: [Object] {
        objects.sorted { $0.key < $1.key }.map(\.value)
    }

    /// Number of objects.
    public var count: Int { objects.count }

    /// One object by key.
    public subscript(key: ObjectKey) -> Object? { objects[key] }

    /// One object by namespace and name.
    public subscript(namespace namespace: String?, name name: String) -> Object? {
        objects[ObjectKey(namespace: namespace, name: name)]
    }
}
