import KubeAPI

/// One event of a watch stream (docs/informers.md, "Watch").
public enum WatchEvent<Object: KubeResource>: Sendable {
    case added(Object)
    case modified(Object)
    case deleted(Object)
    /// Only the resourceVersion is meaningful: all changes up to it have been sent.
    case bookmark(resourceVersion: String)
    /// The server ended the stream with a Status (for example 410 Expired).
    case error(Status)
}
