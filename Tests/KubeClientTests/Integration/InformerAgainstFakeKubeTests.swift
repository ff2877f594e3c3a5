import FakeKube
import Foundation
import KubeAPI
import KubeClient
import Testing

/// Informers over KubeClient's REST lister-watcher against FakeKube over real HTTPS: after each kind of
/// failure the store ends equal to the server's state, checked against a fresh list.
@Suite(.timeLimit(.minutes(2)))
struct InformerAgainstFakeKubeTests {
    /// Backoff runs twenty times faster than real time (0.8 s becomes 40 ms); see `AcceleratedClock`.
    static let clock = AcceleratedClock(factor: 20)

    /// A pod no controller owns, created straight in FakeKube's store as an API write would.
    static func barePod(_ name: String, namespace: String = "team", labels: [String: String] = ["app": "bare"]) -> JSON {
        [
            "metadata": ["name": .string(name), "namespace": .string(namespace), "labels": .stringMap(labels)],
            "spec": [
                "containers": [["name": "main", "image": "busybox"]], "nodeName": "fake-node",
                "terminationGracePeriodSeconds": 1,
            ],
            "status": ["phase": "Running"],
        ]
    }

    private func makeInformer(_ client: KubeClient, namespace: String? = nil, seed: UInt64 = 1) -> Informer<Pod> {
        Informer(
            listerWatcher: client.listerWatcher(for: Pod.self, namespace: namespace), clock: Self.clock,
            logger: quietLogger, random: SeededRandom(seed: seed))
    }

    /// Runs an informer over all namespaces as `admin`, synced before `body` starts.
    private func withSyncedInformer(
        _ fixture: FakeKubeFixture, _ body: (Informer<Pod>, KubeClient) async throws -> Void
    ) async throws {
        try await fixture.withClient { client in
            let informer = makeInformer(client)
            try await withRunning(informer) {
                try await withDeadline(.seconds(45), "first sync") { try await informer.waitUntilSynced() }
                try await awaitConverged(informer, server: fixture.server, client: client, "initial sync")
                try await body(informer, client)
            }
        }
    }

    private func requests(_ server: FakeKubeServer, _ verb: String) -> Int {
        server.stats().count(verb: verb, resource: "pods")
    }

    @Test func initialSyncMatchesTheServer() async throws {
        try await FakeKubeFixture.with { fixture in
            try await withSyncedInformer(fixture) { informer, _ in
                let names = Set(informer.snapshot().items.compactMap(\.metadata.name))
                #expect(names.contains("lonely"))
                #expect(names.filter { $0.hasPrefix("web-") }.count == 2)
                #expect(informer.snapshot().count == fixture.server.objects(.pods).count)
            }
        }
    }

    @Test func droppedWatchResumesWithoutRelist() async throws {
        try await FakeKubeFixture.with { fixture in
            try await withSyncedInformer(fixture) { informer, client in
                // A change first, so the stream has carried an event and its drop is not a "very short watch".
                fixture.server.store.create(.pods, Self.barePod("before-drop"))
                try await awaitConverged(informer, server: fixture.server, client: client)
                let watches = requests(fixture.server, "watch")
                let events = informer.subscribe()

                fixture.server.dropWatches()
                fixture.server.store.create(.pods, Self.barePod("after-drop"))
                try await fixture.server.deletePod(namespace: "team", name: "before-drop", force: true)
                try await awaitConverged(informer, server: fixture.server, client: client, "after a dropped watch")

                // A relist can bring the informer up to date before its new watch reaches the server.
                let server = fixture.server
                try await poll("the informer watched again", within: .seconds(10)) { requests(server, "watch") > watches }
                let seen = try await eventsBeforeSentinel(events, server: fixture.server, name: "sentinel")
                #expect(!seen.contains { $0.isResync }, "a dropped watch resumes from its resourceVersion, no relist")
                #expect(informer.snapshot()[namespace: "team", name: "after-drop"] != nil)
            }
        }
    }

    @Test func compactionThenChangeRelistsAfter410() async throws {
        try await FakeKubeFixture.with { fixture in
            try await withSyncedInformer(fixture) { informer, client in
                // An event first, so the drop below is not a "very short watch" (which relists by itself).
                fixture.server.store.create(.pods, Self.barePod("before-compaction"))
                try await awaitConverged(informer, server: fixture.server, client: client)
                let events = informer.subscribe()
                // Answers wait 0.5 s, so the re-watch the drop causes reaches the server only after the
                // compaction below: it asks for a resourceVersion the server no longer has and gets 410.
                fixture.server.stall(seconds: 0.5)
                fixture.server.dropWatches()
                fixture.server.store.create(.pods, Self.barePod("missed"))
                fixture.server.compact()
                fixture.server.store.create(.pods, Self.barePod("after-compaction"))

                try await awaitConverged(informer, server: fixture.server, client: client, "after 410")
                let seen = try await eventsBeforeSentinel(events, server: fixture.server, name: "sentinel")
                // A relist announces itself with `.resynced`; a plain re-watch never does.
                #expect(seen.contains { $0.isResync }, "the 410 made the informer relist")
                let names = Set(informer.snapshot().items.compactMap(\.metadata.name))
                #expect(names.isSuperset(of: ["missed", "after-compaction"]))
            }
        }
    }

    @Test func apiServerRestartOnTheSamePort() async throws {
        try await FakeKubeFixture.with { fixture in
            try await withSyncedInformer(fixture) { informer, client in
                let port = fixture.server.port
                let watches = requests(fixture.server, "watch")
                fixture.server.restart()
                fixture.server.store.create(.pods, Self.barePod("during-restart"))
                try await fixture.server.deletePod(namespace: "team", name: "lonely", force: true)
                try await awaitConverged(informer, server: fixture.server, client: client, "after a restart")
                #expect(fixture.server.port == port)
                let server = fixture.server
                try await poll("the informer watched again", within: .seconds(10)) { requests(server, "watch") > watches }
                #expect(informer.snapshot()[namespace: "team", name: "lonely"] == nil)
            }
        }
    }

    @Test func partitionOfAFewSeconds() async throws {
        try await FakeKubeFixture.with { fixture in
            try await withSyncedInformer(fixture) { informer, client in
                fixture.server.partition(seconds: 2)
                // While no connection gets through, the cluster keeps changing.
                fixture.server.store.create(.pods, Self.barePod("during-partition"))
                try await fixture.server.scale(namespace: "team", name: "web", replicas: 3)
                try await poll("informer reports the partition") {
                    if case .backingOff = informer.status { return true }
                    return false
                }
                if case .backingOff(let error, _) = informer.status {
                    guard case .transport = error else {
                        Issue.record("expected a transport error during the partition, got \(error)")
                        return
                    }
                }
                try await awaitConverged(informer, server: fixture.server, client: client, "after the partition")
                #expect(informer.snapshot().items.filter { $0.metadata.name?.hasPrefix("web-") == true }.count == 3)
                try await poll("informer synced again") {
                    if case .synced = informer.status { return true }
                    return false
                }
            }
        }
    }

    @Test func factoryInformerSharedByTwoLeasesSurvivesChaos() async throws {
        try await FakeKubeFixture.with { fixture in
            try await fixture.withClient { client in
                let factory = InformerFactory<Pod>(clock: Self.clock, logger: quietLogger, random: SeededRandom(seed: 7)) {
                    key in client.listerWatcher(for: Pod.self, namespace: key.namespace)
                }
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await factory.run() }
                    // The factory hosts its informers until its task is cancelled, whatever happens below.
                    defer { group.cancelAll() }
                    let key = InformerKey(cluster: "fake-kube", namespace: "team")
                    let first = factory.acquire(key)
                    let second = factory.acquire(key)
                    #expect(first.informer === second.informer)
                    let informer = first.informer
                    try await withDeadline(.seconds(45), "first sync") { try await informer.waitUntilSynced() }

                    fixture.server.store.create(.pods, Self.barePod("elsewhere", namespace: "other"))
                    fixture.server.dropWatches()
                    fixture.server.store.create(.pods, Self.barePod("shared"))
                    try await awaitConverged(informer, server: fixture.server, client: client, namespace: "team")
                    #expect(informer.snapshot()[namespace: "other", name: "elsewhere"] == nil, "namespace-scoped")

                    first.release()
                    second.release()
                    #expect(factory.leaseCounts.isEmpty)
                    try await poll("informer stopped after the last release") {
                        if case .stopped = informer.status { return true }
                        return false
                    }
                }
            }
        }
    }
}
