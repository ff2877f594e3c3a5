import NIOCore
import NIOHTTP1

/// What the API server answers to one request; the connection handler turns it into HTTP.
indirect enum APIResponse: Sendable {
    /// A JSON body with this status.
    case json(HTTPResponseStatus, JSON)
    /// A plain-text body (health checks).
    case plain(HTTPResponseStatus, String)
    /// An answer that needs the simulation's event loop first.
    case deferred(EventLoopFuture<APIResponse>)
    /// A watch stream.
    case watch(WatchRequest)
    /// Answer, then run `action` once the answer is flushed (restart and partition close the connection
    /// the request came on).
    case thenRun(APIResponse, @Sendable () -> Void)
}

/// A watch request, parsed and validated.
struct WatchRequest: Sendable {
    var resource: ResourceKind
    var namespace: String?
    var labels: LabelSelector
    var fields: FieldSelector
    /// nil: start with the current state as ADDED events; N: replay what followed N.
    var from: Int?
    var timeout: Duration
    var bookmarks: Bool
    var sendInitialEvents: Bool
    var bookmarkInterval: Duration

    /// Whether an object passes the namespace and selector filters.
    func matches(_ object: JSON) -> Bool {
        if let namespace, object["metadata"]?["namespace"]?.stringValue != namespace { return false }
        return labels.matches(object["metadata"]?["labels"]?.stringMap ?? [:]) && fields.matches(object)
    }

    /// The event a filtered watcher sees for a store change: an object that starts matching is ADDED, one
    /// that stops matching is DELETED (docs/informers.md, "Watch"), and changes it never saw are dropped.
    func translate(_ event: StoredEvent) -> (type: String, object: JSON)? {
        let now = matches(event.object)
        switch event.type {
        case .added: return now ? ("ADDED", event.object) : nil
        case .deleted: return now ? ("DELETED", event.object) : nil
        case .modified:
            let before = event.previous.map(matches) ?? false
            switch (before, now) {
            case (true, true): return ("MODIFIED", event.object)
            case (false, true): return ("ADDED", event.object)
            case (true, false): return ("DELETED", event.object)
            case (false, false): return nil
            }
        }
    }
}

extension JSON {
    /// The object with `kind` and `apiVersion` (single objects and watch events carry them; list items do not).
    func typed(_ resource: ResourceKind) -> JSON {
        var object = self
        object["kind"] = .string(resource.kind)
        object["apiVersion"] = .string(resource.apiVersion)
        return object
    }
}
