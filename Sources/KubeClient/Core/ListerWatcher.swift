import BerthMetrics
import KubeAPI

/// Options of a list request (docs/informers.md, "List").
public struct ListOptions: Sendable, Hashable {
    public var labelSelector: String?
    public var fieldSelector: String?
    public var limit: Int?
    public var continueToken: String?
    /// `nil` → consistent read, `"0"` → any, `"N"` → not older than N.
    public var resourceVersion: String?
    /// `NotOlderThan` or `Exact`; only with `resourceVersion`.
    public var resourceVersionMatch: String?

    public init(
        labelSelector: String? = nil, fieldSelector: String? = nil, limit: Int? = nil,
        continueToken: String? = nil, resourceVersion: String? = nil, resourceVersionMatch: String? = nil
    ) {
        self.labelSelector = labelSelector
        self.fieldSelector = fieldSelector
        self.limit = limit
        self.continueToken = continueToken
        self.resourceVersion = resourceVersion
        self.resourceVersionMatch = resourceVersionMatch
    }
}

/// Options of a watch request (docs/informers.md, "Watch").
public struct WatchOptions: Sendable, Hashable {
    public var labelSelector: String?
    public var fieldSelector: String?
    public var resourceVersion: String?
    public var allowWatchBookmarks: Bool
    public var timeoutSeconds: Int?

    public init(
        labelSelector: String? = nil, fieldSelector: String? = nil, resourceVersion: String? = nil,
        allowWatchBookmarks: Bool = true, timeoutSeconds: Int? = nil
    ) {
        self.labelSelector = labelSelector
        self.fieldSelector = fieldSelector
        self.resourceVersion = resourceVersion
        self.allowWatchBookmarks = allowWatchBookmarks
        self.timeoutSeconds = timeoutSeconds
    }
}

/// The two calls a reflector needs, for one resource in one namespace (or all) of one cluster.
/// The REST client implements it; tests implement it with scripted answers.
public protocol ListerWatcher<Object>: Sendable {
    associatedtype Object: KubeResource
    associatedtype Events: AsyncSequence<WatchEvent<Object>, any Error> & Sendable

    /// One page of a list. Throws `KubeClientError`.
    func list(_ options: ListOptions) async throws -> ObjectList<Object>
    /// Opens a watch. Throws `KubeClientError` when the request is refused; the sequence ends
    /// cleanly at the server's timeout and throws when the connection breaks.
    func watch(_ options: WatchOptions) async throws -> Events
    /// Where a reflector counts its watch restarts (docs/metrics.md); nil counts nothing.
    var apiMetrics: APIMetrics? { get }
}

extension ListerWatcher {
    /// Counts nothing: scripted lister-watchers have no metrics.
    public var apiMetrics: APIMetrics? { nil }
}
