import KubeAPI

/// Identifies an object in a store: `namespace/name`, or `name` for cluster-scoped kinds.
public struct ObjectKey: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// nil for cluster-scoped objects.
    public var namespace: String?
    /// The object's name.
    public var name: String

    /// A key from its parts.
    public init(namespace: String?, name: String) {
        self.namespace = namespace
        self.name = name
    }

    /// The key of `object`; nil when it has no name (the server never sends such objects, but bookmarks do).
    public init?(_ object: some KubeResource) {
        guard let name = object.metadata.name else { return nil }
        self.init(namespace: object.metadata.namespace, name: name)
    }

    /// `namespace/name`, as kubectl prints it.
    public var description: String {
        namespace.map { "\($0)/\(name)" } ?? name
    }

    /// Orders by namespace then name, so snapshots list in a stable order.
    public static func < (lhs: ObjectKey, rhs: ObjectKey) -> Bool {
        (lhs.namespace ?? "", lhs.name) < (rhs.namespace ?? "", rhs.name)
    }
}

/// One change a store write made, as seen by readers.
public enum StoreChange<Object: KubeResource>: Sendable {
    /// A new key.
    case added(Object)
    /// A key whose object changed.
    case updated(old: Object, new: Object)
    /// A key that is gone; the object is its last known state.
    case deleted(Object)
}
