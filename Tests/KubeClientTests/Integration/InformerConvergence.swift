import FakeKube
import KubeAPI
import KubeClient
import Testing

/// A wait that took longer than its deadline.
struct DeadlineExceeded: Error, CustomStringConvertible {
    let what: String
    let limit: Duration
    var description: String { "\(what): not done within \(limit)" }
}

/// Runs `body`, failing with `DeadlineExceeded` if it has not finished within `limit`.
/// The limit bounds a wait on an event; it never stands in for one.
func withDeadline<T: Sendable>(
    _ limit: Duration, _ what: String, _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: limit)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else {
            throw DeadlineExceeded(what: what, limit: limit)
        }
        return value
    }
}

/// Runs an informer while `body` runs, then stops it and waits for its task to end.
func withRunning<Object: KubeResource, T: Sendable>(
    _ informer: Informer<Object>, _ body: () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { await informer.run() }
        do {
            let result = try await body()
            informer.stop()
            try await group.waitForAll()
            return result
        } catch {
            informer.stop()
            throw error
        }
    }
}

/// What a store or a list holds, reduced to what "equal to the server" means: every key at its resourceVersion.
typealias Versions = [String: String]

extension StoreSnapshot {
    /// Every key with its object's resourceVersion.
    var versions: Versions {
        Dictionary(uniqueKeysWithValues: objects.map { ($0.key.description, $0.value.metadata.resourceVersion ?? "") })
    }
}

extension FakeKubeServer {
    /// The server's own state of pods (all namespaces when nil), read in-process without a request.
    func podVersions(namespace: String? = nil) -> Versions {
        Dictionary(
            uniqueKeysWithValues: objects(.pods, namespace: namespace).map {
                (storeKey($0), $0["metadata"]?["resourceVersion"]?.stringValue ?? "")
            })
    }
}

/// A fresh list over HTTPS, as a `Versions` map.
func freshPodVersions(_ client: KubeClient, namespace: String?) async throws -> Versions {
    let list = try await client.listAll(Pod.self, namespace: namespace, allNamespaces: namespace == nil)
    return Dictionary(uniqueKeysWithValues: list.items.map {
        (ObjectKey($0)?.description ?? "", $0.metadata.resourceVersion ?? "")
    })
}

/// Waits until the informer's store equals the server: first FakeKube's in-process state (checked after every
/// informer event), then a fresh list over HTTPS. Returns the converged snapshot's versions.
///
/// The store only changes with an informer event, and the subscription starts before the first check, so a
/// change is never missed; the deadline only bounds an informer that never converges.
@discardableResult
func awaitConverged(
    _ informer: Informer<Pod>, server: FakeKubeServer, client: KubeClient, namespace: String? = nil,
    within limit: Duration = .seconds(45), _ what: String = "informer store equals the server"
) async throws -> Versions {
    let events = informer.subscribe()
    let last = Locked<(store: Versions, server: Versions)>(([:], [:]))
    do {
        return try await withDeadline(limit, what) {
            var iterator = events.makeAsyncIterator()
            while true {
                let snapshot = informer.snapshot()
                let store = snapshot.versions
                let truth = server.podVersions(namespace: namespace)
                last.withLock { $0 = (store, truth) }
                if snapshot.hasSynced && store == truth, try await freshList(client, namespace: namespace) == store {
                    return store
                }
                guard await iterator.next() != nil else {
                    throw DeadlineExceeded(what: "\(what) (the informer stopped)", limit: limit)
                }
            }
        }
    } catch let error as DeadlineExceeded {
        let (store, truth) = last.withLock { $0 }
        Issue.record(
            """
            \(error) (status: \(informer.status))
            only in store: \(store.filter { truth[$0.key] != $0.value }.keys.sorted())
            only on server: \(truth.filter { store[$0.key] != $0.value }.keys.sorted())
            """)
        throw error
    }
}

/// A fresh list; a request that finds no connection (the server just restarted) is retried a few times,
/// since no informer event would announce that the list can be made again.
private func freshList(_ client: KubeClient, namespace: String?) async throws -> Versions? {
    for attempt in 1...20 {
        do {
            return try await freshPodVersions(client, namespace: namespace)
        } catch KubeClientError.transport {
            try await Task.sleep(for: .milliseconds(10 * attempt))
        }
    }
    return nil
}

/// Creates a sentinel pod and returns the informer events that arrived before it: events are delivered in
/// order, so the sentinel's ADDED marks "everything the server did before it has been seen".
func eventsBeforeSentinel(
    _ events: InformerEvents<Pod>, server: FakeKubeServer, name: String, within limit: Duration = .seconds(30)
) async throws -> [InformerEvent<Pod>] {
    server.store.create(
        .pods,
        ["metadata": ["name": .string(name), "namespace": "team"], "spec": ["containers": [["name": "main"]]]])
    return try await withDeadline(limit, "sentinel pod \(name) seen") {
        var seen: [InformerEvent<Pod>] = []
        for await event in events {
            switch event {
            case .added(let pod) where pod.metadata.name == name:
                return seen
            case .updated(_, let pod) where pod.metadata.name == name:
                return seen
            default:
                seen.append(event)
            }
        }
        return seen
    }
}

extension InformerEvent {
    /// Whether this event reports a relist.
    var isResync: Bool {
        if case .resynced = self { return true }
        return false
    }
}

/// Polls `condition` until it holds. Only for facts no event announces (an informer's status); bounded.
func poll(
    _ what: String, within limit: Duration = .seconds(30), every interval: Duration = .milliseconds(10),
    _ condition: @escaping @Sendable () -> Bool
) async throws {
    try await withDeadline(limit, what) {
        while !condition() { try await Task.sleep(for: interval) }
    }
}
