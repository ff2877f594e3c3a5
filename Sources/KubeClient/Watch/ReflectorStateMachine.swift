import KubeAPI

/// The list → watch → relist algorithm of docs/informers.md, "The algorithm, and where berth chose" as a value: it
/// decides, the `Reflector` performs.
///
/// Inputs are the outcomes of the last request; each returns the next `Action`. The machine holds no objects
/// (the driver accumulates list pages and applies events to the store) and no clock (the driver measures how
/// long a watch lasted and sleeps the backoff), so every transition is testable without I/O.
public struct ReflectorStateMachine: Sendable {
    /// Page size of every list request (client-go's pager default).
    public static let pageSize = 500
    /// A watch that ends cleanly sooner than this with no event is an error ("very short watch").
    public static let shortWatch: Duration = .seconds(1)
    /// The range of `timeoutSeconds` asked of the server, as client-go does (5 to 10 minutes).
    public static let watchTimeoutRange: ClosedRange<Int> = 300...599

    /// What happened since the last action.
    public enum Input: Sendable {
        /// The reflector starts; answered with the first list.
        case start
        /// One list page arrived. Its items are the driver's to keep until `replaceStore`.
        case listPage(ListMeta)
        /// A list request failed.
        case listFailed(KubeClientError)
        /// The watch request was answered; events may follow.
        case watchOpened
        /// The watch request itself failed (no stream).
        case watchOpenFailed(KubeClientError)
        /// An ADDED, MODIFIED, DELETED or BOOKMARK event carrying this resourceVersion (nil if the object had none).
        case watchEvent(resourceVersion: String?)
        /// An ERROR event: the server ends this stream with a Status.
        case watchErrorEvent(Status)
        /// The stream ended cleanly, after `duration` and `events` events.
        case watchEnded(duration: Duration, events: Int)
        /// The stream broke (connection reset, undecodable event), after `duration` and `events` events.
        case watchFailed(KubeClientError, duration: Duration, events: Int)
        /// The backoff sleep asked for by `.backoff` is over.
        case backoffElapsed
    }

    /// What the driver must do next.
    public enum Action: Sendable {
        /// Request one list page; drop any pages kept so far when `options.continueToken` is nil.
        case list(ListOptions)
        /// The list is complete: replace the store with every page's items at this resourceVersion, then watch.
        case replaceStore(resourceVersion: String?, thenWatch: WatchOptions)
        /// Open a watch.
        case watch(WatchOptions)
        /// Keep reading the current watch stream (events are applied to the store by the driver).
        case keepWatching
        /// Stop using the current stream (if any), sleep a backoff delay, then send `.backoffElapsed`.
        /// `retryAfter` is the server's minimum (429 `Retry-After`); `error` is what to report meanwhile.
        case backoff(error: KubeClientError, retryAfter: Duration?)
    }

    /// Where the machine is; public so status and tests can read it.
    public enum Phase: Sendable, Equatable {
        case idle
        /// Listing; `continueToken` is set past the first page.
        case listing(continueToken: String?)
        /// Watch requested or streaming.
        case watching
        /// Sleeping; afterwards it relists (`relist == true`) or re-watches.
        case backingOff(relist: Bool)
    }

    /// The current phase.
    public private(set) var phase: Phase = .idle
    /// The resourceVersion the store is synced to (last list, event or bookmark); nil before the first list.
    public private(set) var lastResourceVersion: String?
    /// Set when the server said `lastResourceVersion` is gone; the next list is a consistent read (rv "").
    public private(set) var resourceVersionUnavailable = false

    /// Selectors passed on every list and watch.
    public let labelSelector: String?
    /// Selectors passed on every list and watch.
    public let fieldSelector: String?

    private var random: SeededRandom
    /// The RV of the first page of the list in progress: the one the whole list is consistent at.
    private var listResourceVersion: String?

    /// Names the watched collection in errors the machine makes up itself, e.g. `WATCH /api/v1/pods`.
    public let watchRequest: String

    /// A machine for one reflector; `random` draws the watch timeouts.
    public init(
        labelSelector: String? = nil, fieldSelector: String? = nil, watchRequest: String = "WATCH",
        random: SeededRandom = SeededRandom()
    ) {
        self.labelSelector = labelSelector
        self.fieldSelector = fieldSelector
        self.watchRequest = watchRequest
        self.random = random
    }

    /// Feeds one input and returns the next action.
    public mutating func event(_ input: Input) -> Action {
        switch input {
        case .start, .backoffElapsed:
            if case .backingOff(relist: false) = phase {
                return startWatch()
            }
            return startList()

        case .listPage(let meta):
            guard case .listing(let token) = phase else { return startList() }
            if token == nil { listResourceVersion = meta.resourceVersion }
            if let next = meta.continue, !next.isEmpty {
                phase = .listing(continueToken: next)
                return .list(continueOptions(next))
            }
            lastResourceVersion = listResourceVersion ?? meta.resourceVersion
            resourceVersionUnavailable = false
            listResourceVersion = nil
            let watch = watchOptions()
            phase = .watching
            return .replaceStore(resourceVersion: lastResourceVersion, thenWatch: watch)

        case .listFailed(let error):
            // Expired RV or continue token, or an RV the server has not reached: a consistent read fixes it
            // at once. If that read failed the same way, backing off is the only thing left to do.
            if Self.resourceVersionGone(error) && !resourceVersionUnavailable {
                resourceVersionUnavailable = true
                return startList()
            }
            return backoff(relist: true, error: error)

        case .watchOpened:
            return .keepWatching

        case .watchOpenFailed(let error):
            return backoff(relist: !Self.watchRetriable(error), error: error)

        case .watchEvent(let resourceVersion):
            if let resourceVersion, !resourceVersion.isEmpty { lastResourceVersion = resourceVersion }
            return .keepWatching

        case .watchErrorEvent(let status):
            // 410 relists from lastResourceVersion ("not older than"); only a second 410 on that list
            // falls back to a consistent read (see .listFailed).
            let error = KubeClientError.api(status: status, request: watchRequest, retryAfterSeconds: nil)
            if status.code == 429 { return backoff(relist: false, error: error) }
            return backoff(relist: true, error: error)

        case .watchEnded(let duration, let events):
            if events > 0 || duration >= Self.shortWatch {
                return startWatch()
            }
            let error = KubeClientError.transport(
                request: watchRequest,
                description: "very short watch: the stream ended after \(duration) with no event")
            return backoff(relist: true, error: error)

        case .watchFailed(let error, let duration, let events):
            switch error {
            case .transport:
                // A broken connection says nothing about the RV: resume from it. A healthy stream resumes at
                // once (like client-go's unexpected-EOF path); one that broke before any progress waits first.
                if events > 0 || duration >= Self.shortWatch { return startWatch() }
                return backoff(relist: false, error: error)
            case .api(let status, _, _) where status.code == 429:
                return backoff(relist: false, error: error)
            default:
                return backoff(relist: true, error: error)
            }
        }
    }

    // MARK: - Transitions

    private mutating func startList() -> Action {
        phase = .listing(continueToken: nil)
        listResourceVersion = nil
        var options = ListOptions(
            labelSelector: labelSelector, fieldSelector: fieldSelector, limit: Self.pageSize)
        if resourceVersionUnavailable {
            options.resourceVersion = nil  // "" on the wire: a consistent read
        } else if let last = lastResourceVersion, !last.isEmpty, last != "0" {
            options.resourceVersion = last
            // With a limit, a bare RV means "Exact" (§2.1); after a 410 we want "not older than".
            options.resourceVersionMatch = "NotOlderThan"
        } else {
            options.resourceVersion = "0"
        }
        return .list(options)
    }

    private func continueOptions(_ token: String) -> ListOptions {
        // Continuation pages carry the token only; the token pins the RV (§2.1, continue + RV is a 400).
        ListOptions(
            labelSelector: labelSelector, fieldSelector: fieldSelector, limit: Self.pageSize, continueToken: token)
    }

    private mutating func startWatch() -> Action {
        phase = .watching
        return .watch(watchOptions())
    }

    private mutating func watchOptions() -> WatchOptions {
        WatchOptions(
            labelSelector: labelSelector, fieldSelector: fieldSelector, resourceVersion: lastResourceVersion,
            allowWatchBookmarks: true, timeoutSeconds: Int.random(in: Self.watchTimeoutRange, using: &random))
    }

    private mutating func backoff(relist: Bool, error: KubeClientError) -> Action {
        phase = .backingOff(relist: relist)
        var retryAfter: Duration?
        if case .api(_, _, let seconds?) = error { retryAfter = .seconds(seconds) }
        return .backoff(error: error, retryAfter: retryAfter)
    }

    // MARK: - Error classes

    /// 410 Expired/Gone, or 504 with cause ResourceVersionTooLarge: the requested RV cannot be served.
    static func resourceVersionGone(_ error: KubeClientError) -> Bool {
        guard case .api(let status, _, _) = error else { return false }
        if status.isExpired { return true }
        if status.code == 504 {
            let causes = status.details?.causes ?? []
            return causes.contains { $0.reason == "ResourceVersionTooLarge" }
                || (status.message ?? "").contains("Too large resource version")
        }
        return false
    }

    /// Watch-request failures that keep the RV valid: no answer (connection refused, reset, timeout) or 429.
    /// Everything else (403, 500, an HTTP 410, undecodable answers) relists after the backoff.
    static func watchRetriable(_ error: KubeClientError) -> Bool {
        switch error {
        case .transport: return true
        case .api(let status, _, _): return status.code == 429
        default: return false
        }
    }
}
