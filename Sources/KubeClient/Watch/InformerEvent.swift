import KubeAPI

/// A change an informer delivers to its subscribers.
///
/// berth's controller is level-based: an event only says which objects to look at, and the store is the truth.
/// That is why a subscriber that falls behind receives `resyncNeeded` instead of an ever-growing queue.
public enum InformerEvent<Object: KubeResource>: Sendable {
    /// A new object.
    case added(Object)
    /// An object changed.
    case updated(old: Object, new: Object)
    /// An object is gone; this is its last known state.
    case deleted(Object)
    /// A complete list replaced the store (first sync or relist); the adds, updates and deletes it implied
    /// were delivered just before.
    case resynced
    /// This subscriber fell behind and events were dropped: re-read `Informer.snapshot()`.
    case resyncNeeded
    /// A list or watch failed: the informer backs off and tries again (`Informer.status` says when), and the store
    /// keeps what it had. Without it a first list that never succeeds (an API server that cannot be reached)
    /// would leave subscribers waiting for an event that never comes.
    case failed(KubeClientError)

    init(_ change: StoreChange<Object>) {
        switch change {
        case .added(let object): self = .added(object)
        case .updated(let old, let new): self = .updated(old: old, new: new)
        case .deleted(let object): self = .deleted(object)
        }
    }
}
