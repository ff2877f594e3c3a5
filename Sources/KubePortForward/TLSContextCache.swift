import NIOSSL
import Synchronization

/// Shares one `NIOSSLContext` among the dials that use the same TLS configuration.
///
/// Building a context parses the trust roots and the client key into a fresh BoringSSL `SSL_CTX`. Per dial
/// that was the largest CPU cost of a warm-stream refill after the handshake itself, and every open stream
/// kept its own copy alive (1,000 forwards held 1,000 contexts). The configuration is still produced per dial
/// (an exec plugin may hand out a new client certificate), so a rotated credential gets a new context: entries
/// are matched with `bestEffortEquals`, which compares roots, certificate chain and key.
public final class TLSContextCache: Sendable {
    /// How many configurations are remembered; the oldest is dropped past it. A daemon uses one per cluster
    /// (and briefly two while a client certificate rotates), so this bound is never reached in practice.
    public static let capacity = 16

    private let entries = Mutex<[(configuration: TLSConfiguration, context: NIOSSLContext)]>([])

    /// Creates an empty cache.
    public init() {}

    /// The context for `configuration`, built on first use.
    /// - Throws: what `NIOSSLContext(configuration:)` throws (a bad CA, certificate or key).
    public func context(for configuration: TLSConfiguration) throws -> NIOSSLContext {
        if let cached = entries.withLock({ $0.first { $0.configuration.bestEffortEquals(configuration) }?.context }) {
            return cached
        }
        // Built outside the lock: two first dials may both build one; the second one stored wins, both work.
        let context = try NIOSSLContext(configuration: configuration)
        entries.withLock { entries in
            entries.removeAll { $0.configuration.bestEffortEquals(configuration) }
            entries.append((configuration, context))
            if entries.count > Self.capacity { entries.removeFirst(entries.count - Self.capacity) }
        }
        return context
    }

    /// How many contexts are held (for tests).
    public var count: Int { entries.withLock { $0.count } }
}
