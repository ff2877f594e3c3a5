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

    init(_ change: StoreChange<Object>) {
        switch change {
        case .added(let object): self = .added(object)
        case .updated(let old, let new): self = .updated(old: old, new: new)
        case .deleted(let object): self = .deleted(object)
        }
    }
}
