import BerthManifest
import Synchronization

/// The transport that last worked for each cluster under `transport: auto`, so that later sessions to
/// the same cluster start with it instead of walking the fallback list again (docs/port-forward.md).
public final class TransportMemory: Sendable {
    private let chosen = Mutex<[String: TransportChoice]>([:])

    /// Creates an empty memory.
    public init() {}

    /// What worked last for `cluster` (a kubeconfig context name), if anything did.
    public func transport(for cluster: String) -> TransportChoice? {
        chosen.withLock { $0[cluster] }
    }

    /// Records what worked; returns true when it differs from what was remembered (worth a log line).
    @discardableResult
    public func remember(_ transport: TransportChoice, for cluster: String) -> Bool {
        chosen.withLock { chosen in
            guard chosen[cluster] != transport else { return false }
            chosen[cluster] = transport
            return true
        }
    }
}
