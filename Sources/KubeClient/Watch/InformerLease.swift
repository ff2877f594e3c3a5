import KubeAPI
import Synchronization

/// A counted reference to a shared informer. Release it when done; the last release stops the informer.
/// Dropping the lease releases it too, but an explicit `release()` makes the moment deterministic.
public final class InformerLease<Object: KubeResource>: Sendable {
    /// The shared informer; valid until the lease is released.
    public let informer: Informer<Object>
    /// The key the informer was acquired for.
    public let key: InformerKey
    private let onRelease: Mutex<(@Sendable () -> Void)?>

    init(informer: Informer<Object>, key: InformerKey, onRelease: @escaping @Sendable () -> Void) {
        self.informer = informer
        self.key = key
        self.onRelease = Mutex(onRelease)
    }

    /// Gives the reference back. Idempotent.
    public func release() {
        let action = onRelease.withLock { action in
            defer { action = nil }
            return action
        }
        action?()
    }

    deinit {
        release()
    }
}
