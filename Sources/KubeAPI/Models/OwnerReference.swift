/// `metadata.ownerReferences[]`: which controller owns an object (a ReplicaSet owns its pods).
public struct OwnerReference: Codable, Sendable, Hashable {
    /// e.g. `apps/v1`.
    public var apiVersion: String?
    /// e.g. `ReplicaSet`.
    public var kind: String?
    /// The owner's name.
    public var name: String?
    /// The owner's uid.
    public var uid: String?
    /// Whether the owner is the managing controller.
    public var controller: Bool?
    /// Whether deletion of the owner waits for this object.
    public var blockOwnerDeletion: Bool?

    /// Creates an owner reference.
    public init(
        apiVersion: String? = nil, kind: String? = nil, name: String? = nil, uid: String? = nil,
        controller: Bool? = nil, blockOwnerDeletion: Bool? = nil
    ) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.name = name
        self.uid = uid
        self.controller = controller
        self.blockOwnerDeletion = blockOwnerDeletion
    }
}

/// `targetRef` of an endpoint: the pod behind an address.
public struct ObjectReference: Codable, Sendable, Hashable {
    /// Usually `Pod`.
    public var kind: String?
    /// The object's namespace.
    public var namespace: String?
    /// The object's name.
    public var name: String?
    /// The object's uid.
    public var uid: String?
    /// The object's API version.
    public var apiVersion: String?
    /// The object's resourceVersion when the reference was made.
    public var resourceVersion: String?
    /// A path inside the object, rarely set.
    public var fieldPath: String?

    /// Creates a reference.
    public init(kind: String? = nil, namespace: String? = nil, name: String? = nil, uid: String? = nil) {
        self.kind = kind
        self.namespace = namespace
        self.name = name
        self.uid = uid
    }
}
