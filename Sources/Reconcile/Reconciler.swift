/// What a reconcile pass asks the controller to do with its key next.
public enum ReconcileResult: Sendable {
    /// Converged: forget the key's failure history.
    case done
    /// Look again soon, with the key's rate-limited backoff (for example: waiting on something not yet observable).
    case requeue
    /// Look again after this delay; the failure history is forgotten (for example: a scheduled re-check).
    case requeueAfter(Duration)
    /// Failed: retried with per-key exponential backoff; the error goes to the controller's error handler.
    case error(any Error)
}

/// Level-based reconciliation of one key: read the desired and observed state, act on the difference.
///
/// The controller never runs `reconcile` concurrently for the same key, so an implementation may assume
/// it is the only one acting on `key` while it runs. It must not trust whatever event woke it: only the key.
public protocol Reconciler<Key>: Sendable {
    /// The identity of one unit of desired state (a forward's name, for berth).
    associatedtype Key: Hashable & Sendable

    /// Converge the state behind `key` and say what should happen next.
    func reconcile(_ key: Key) async -> ReconcileResult
}
