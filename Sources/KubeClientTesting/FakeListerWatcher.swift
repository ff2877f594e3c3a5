import BerthMetrics
import KubeAPI
import KubeClient
import Synchronization

/// A kind whose metadata the fake can stamp (resourceVersion). Models with `var metadata` conform by declaration.
public protocol MetadataWritable: KubeResource {
    /// The object's metadata, writable.
    var metadata: ObjectMeta { get set }
}

/// An in-memory collection that behaves like one API server collection for a reflector (docs/informers.md, "List" and
/// "Watch"): integer resourceVersions, paginated lists with continue tokens, watches that replay retained history from
/// an RV, ERROR 410 when that history is gone, and chaos controls (drop, end or expire watches, compact history,
/// go offline, fail the next requests). It records every request so tests can count lists and watches.
///
/// Selectors are recorded but not applied: the fake holds one collection.
public final class FakeListerWatcher<Object: MetadataWritable>: ListerWatcher, Sendable {
    /// Watch streams of the fake.
    public typealias Events = AsyncThrowingStream<WatchEvent<Object>, any Error>

    private struct State {
        var objects: [ObjectKey: Object] = [:]
        var resourceVersion = 1
        var history: [(rv: Int, event: WatchEvent<Object>)] = []
        /// Watches from an RV below this are answered with ERROR 410.
        var compactedThrough = 0
        var watchers: [Int: Events.Continuation] = [:]
        var nextWatcher = 0
        var continueTokens: [String: (rv: Int, remaining: [Object])] = [:]
        var nextToken = 0
        var listCalls: [ListOptions] = []
        var watchCalls: [WatchOptions] = []
        var listFailures: [KubeClientError] = []
        var watchFailures: [KubeClientError] = []
        var offline = false
    }

    private let state = Mutex(State())
    private let openStreams = Atomic<Int>(0)
    /// How many events the fake keeps for watches to resume from.
    public let historyLimit: Int
    /// Events a watch stream may hold unread before the fake closes it as too slow (as kube-apiserver does).
    public let streamCapacity: Int
    /// Bumped on every request, stream end and mutation.
    public let progress: ProgressSignal
    /// Where a reflector over the fake counts its watch restarts; nil counts nothing.
    public let apiMetrics: APIMetrics?

    /// An empty collection at resourceVersion 1.
    public init(
        historyLimit: Int = 1_000, streamCapacity: Int = 10_000, progress: ProgressSignal = ProgressSignal(),
        apiMetrics: APIMetrics? = nil
    ) {
        self.apiMetrics = apiMetrics
        self.historyLimit = historyLimit
        self.streamCapacity = streamCapacity
        self.progress = progress
    }

    // MARK: ListerWatcher

    /// One page, from the current state or from the snapshot a continue token pins.
    public func list(_ options: ListOptions) async throws -> ObjectList<Object> {
        defer { progress.bump() }
        let result: Result<ObjectList<Object>, KubeClientError> = state.withLock { state in
            state.listCalls.append(options)
            if state.offline { return .failure(Self.refused("LIST")) }
            if !state.listFailures.isEmpty { return .failure(state.listFailures.removeFirst()) }
            if let token = options.continueToken {
                guard let pinned = state.continueTokens.removeValue(forKey: token) else {
                    return .failure(Self.expired("LIST", "The provided continue parameter is too old"))
                }
                return .success(Self.page(pinned.remaining, rv: pinned.rv, limit: options.limit, state: &state))
            }
            if let wanted = options.resourceVersion.flatMap(Int.init), wanted > state.resourceVersion {
                return .failure(Self.tooLarge(wanted, current: state.resourceVersion))
            }
            let items = state.objects.sorted { $0.key < $1.key }.map(\.value)
            return .success(Self.page(items, rv: state.resourceVersion, limit: options.limit, state: &state))
        }
        return try result.get()
    }

    /// A stream of events after `options.resourceVersion` (synthetic ADDEDs when it is unset or "0").
    public func watch(_ options: WatchOptions) async throws -> Events {
        defer { progress.bump() }
        let result: Result<Events, KubeClientError> = state.withLock { state in
            state.watchCalls.append(options)
            if state.offline { return .failure(Self.refused("WATCH")) }
            if !state.watchFailures.isEmpty { return .failure(state.watchFailures.removeFirst()) }
            let (stream, continuation) = Events.makeStream(bufferingPolicy: .bufferingOldest(streamCapacity))
            openStreams.add(1, ordering: .relaxed)
            continuation.onTermination = { [weak self] _ in self?.streamEnded() }
            let from = options.resourceVersion.flatMap(Int.init) ?? 0
            if from == 0 {
                for (_, object) in state.objects.sorted(by: { $0.key < $1.key }) {
                    continuation.yield(.added(object))
                }
            } else if from < state.compactedThrough {
                continuation.yield(.error(Self.expiredStatus("too old resource version: \(from) (\(state.compactedThrough))")))
                continuation.finish()
                return .success(stream)
            } else {
                for entry in state.history where entry.rv > from {
                    continuation.yield(entry.event)
                }
            }
            state.nextWatcher += 1
            state.watchers[state.nextWatcher] = continuation
            return .success(stream)
        }
        return try result.get()
    }

    // MARK: Mutations

    /// Creates or replaces `object` (ADDED or MODIFIED), stamping a new resourceVersion. Returns it stamped.
    @discardableResult
    public func upsert(_ object: Object) -> Object {
        defer { progress.bump() }
        return state.withLock { state in
            guard let key = ObjectKey(object) else { preconditionFailure("objects of the fake need a name") }
            state.resourceVersion += 1
            var stamped = object
            stamped.metadata.resourceVersion = String(state.resourceVersion)
            let existed = state.objects.updateValue(stamped, forKey: key) != nil
            Self.record(existed ? .modified(stamped) : .added(stamped), state: &state, limit: historyLimit)
            return stamped
        }
    }

    /// Deletes the object at `key` (DELETED with its last state and a new resourceVersion). Returns whether it existed.
    @discardableResult
    public func delete(_ key: ObjectKey) -> Bool {
        defer { progress.bump() }
        return state.withLock { state in
            guard var object = state.objects.removeValue(forKey: key) else { return false }
            state.resourceVersion += 1
            object.metadata.resourceVersion = String(state.resourceVersion)
            Self.record(.deleted(object), state: &state, limit: historyLimit)
            return true
        }
    }

    // MARK: Chaos

    /// Breaks every open watch with a transport error (a reset connection).
    public func dropWatches() {
        endWatches { $0.finish(throwing: KubeClientError.transport(request: "WATCH", description: "connection reset by peer")) }
    }

    /// Ends every open watch cleanly, as at the server's timeout.
    public func closeWatches() {
        endWatches { $0.finish() }
    }

    /// Ends every open watch with an ERROR 410 event.
    public func expireWatches() {
        endWatches {
            $0.yield(.error(Self.expiredStatus("too old resource version")))
            $0.finish()
        }
    }

    /// Sends a BOOKMARK at the current resourceVersion to every open watch.
    public func sendBookmarks() {
        state.withLock { state in
            for (_, watcher) in state.watchers { watcher.yield(.bookmark(resourceVersion: String(state.resourceVersion))) }
        }
        progress.bump()
    }

    /// Forgets all history: a watch from any earlier resourceVersion gets ERROR 410.
    public func compact() {
        state.withLock { state in
            state.history = []
            state.compactedThrough = state.resourceVersion
        }
    }

    /// Makes every outstanding continue token expire (410 on use).
    public func expireContinueTokens() {
        state.withLock { $0.continueTokens = [:] }
    }

    /// Offline: open watches break and every request fails with "connection refused" until back online.
    public func setOffline(_ offline: Bool) {
        state.withLock { $0.offline = offline }
        if offline { dropWatches() }
        progress.bump()
    }

    /// The next lists fail with these errors, in order.
    public func failNextLists(_ errors: [KubeClientError]) {
        state.withLock { $0.listFailures.append(contentsOf: errors) }
    }

    /// The next watch requests fail with these errors, in order.
    public func failNextWatches(_ errors: [KubeClientError]) {
        state.withLock { $0.watchFailures.append(contentsOf: errors) }
    }

    // MARK: Observation

    /// The current objects.
    public var objects: [ObjectKey: Object] { state.withLock { $0.objects } }
    /// The collection's current resourceVersion.
    public var resourceVersion: String { state.withLock { String($0.resourceVersion) } }
    /// Every list request so far.
    public var listCalls: [ListOptions] { state.withLock { $0.listCalls } }
    /// Every watch request so far.
    public var watchCalls: [WatchOptions] { state.withLock { $0.watchCalls } }
    /// Watch streams not yet ended or abandoned by their reader.
    public var openWatchCount: Int { openStreams.load(ordering: .relaxed) }

    // MARK: Helpers

    private func streamEnded() {
        openStreams.subtract(1, ordering: .relaxed)
        progress.bump()
    }

    private func endWatches(_ end: (Events.Continuation) -> Void) {
        let watchers = state.withLock { state in
            defer { state.watchers = [:] }
            return Array(state.watchers.values)
        }
        for watcher in watchers { end(watcher) }
        progress.bump()
    }

    private static func record(_ event: WatchEvent<Object>, state: inout State, limit: Int) {
        let rv = state.resourceVersion
        state.history.append((rv, event))
        if state.history.count > limit {
            let dropped = state.history.count - limit
            state.compactedThrough = state.history[dropped - 1].rv
            state.history.removeFirst(dropped)
        }
        for (id, watcher) in state.watchers {
            switch watcher.yield(event) {
            case .enqueued: continue
            case .dropped:
                watcher.finish(throwing: KubeClientError.transport(request: "WATCH", description: "watch too slow"))
                state.watchers[id] = nil
            case .terminated:
                state.watchers[id] = nil
            @unknown default:
                state.watchers[id] = nil
            }
        }
    }

    private static func page(_ items: [Object], rv: Int, limit: Int?, state: inout State) -> ObjectList<Object> {
        guard let limit, limit > 0, items.count > limit else {
            return ObjectList(metadata: ListMeta(resourceVersion: String(rv)), items: items)
        }
        state.nextToken += 1
        let token = "c\(state.nextToken)"
        state.continueTokens[token] = (rv, Array(items[limit...]))
        return ObjectList(
            metadata: ListMeta(resourceVersion: String(rv), continue: token, remainingItemCount: Int64(items.count - limit)),
            items: Array(items[..<limit]))
    }

    /// A 410 `Expired` Status with `message`.
    public static func expiredStatus(_ message: String) -> Status {
        Status(message: message, reason: "Expired", code: 410)
    }

    private static func expired(_ request: String, _ message: String) -> KubeClientError {
        .api(status: expiredStatus(message), request: request, retryAfterSeconds: nil)
    }

    private static func tooLarge(_ wanted: Int, current: Int) -> KubeClientError {
        .api(
            status: Status(message: "Too large resource version: \(wanted), current: \(current)", reason: "Timeout", code: 504),
            request: "LIST", retryAfterSeconds: nil)
    }

    private static func refused(_ request: String) -> KubeClientError {
        .transport(request: request, description: "connection refused")
    }
}
