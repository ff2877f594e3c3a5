import BerthTestSupport
import KubeClient
import KubeClientTesting
import Logging
import Testing

/// Reads events until `stop` says so, or the sequence ends.
func collect(
    _ iterator: inout InformerEvents<Widget>.Iterator, until stop: (InformerEvent<Widget>) -> Bool
) async -> [InformerEvent<Widget>] {
    var events: [InformerEvent<Widget>] = []
    while let event = await iterator.next() {
        events.append(event)
        if stop(event) { break }
    }
    return events
}

/// A short, comparable account of an event.
func summary(_ event: InformerEvent<Widget>) -> String {
    switch event {
    case .added(let w): "+\(w.metadata.name!)"
    case .updated(let old, let new): "~\(new.metadata.name!):\(old.size)->\(new.size)"
    case .deleted(let w): "-\(w.metadata.name!)"
    case .resynced: "resynced"
    case .resyncNeeded: "resyncNeeded"
    case .failed: "failed"
    }
}

@Suite(.timeLimit(.minutes(1)))
struct InformerTests {
    private func makeInformer(_ h: WatchHarness, capacity: Int = 1024) -> Informer<Widget> {
        Informer(
            listerWatcher: h.fake, clock: h.clock, logger: quietLogger,
            random: SeededRandom(seed: 4), subscriberCapacity: capacity)
    }

    @Test func everySubscriberSeesTheListThenEachChange() async throws {
        let h = WatchHarness()
        h.fake.upsert(Widget("a"))
        h.fake.upsert(Widget("b"))
        let informer = makeInformer(h)
        var first = informer.subscribe().makeAsyncIterator()
        var second = informer.subscribe().makeAsyncIterator()
        let task = Task { await informer.run() }
        try await informer.waitUntilSynced()
        #expect(informer.hasSynced)
        if case .synced = informer.status {} else { Issue.record("status \(informer.status)") }
        let listed = await collect(&first) { if case .resynced = $0 { true } else { false } }
        #expect(Set(listed.map(summary)) == ["+a", "+b", "resynced"])
        #expect(listed.last.map(summary) == "resynced")

        try await h.until { h.fake.openWatchCount == 1 }
        h.fake.upsert(Widget("c"))
        h.fake.upsert(Widget("a", size: 1))
        h.fake.delete(ObjectKey(namespace: "shop", name: "b"))
        let changes = await collect(&first) { if case .deleted = $0 { true } else { false } }
        #expect(changes.map(summary) == ["+c", "~a:0->1", "-b"])
        let secondAll = await collect(&second) { if case .deleted = $0 { true } else { false } }
        #expect(secondAll.map(summary).suffix(3) == ["+c", "~a:0->1", "-b"])
        #expect(informer.snapshot().objects == h.fake.objects)

        task.cancel()
        try await awaitEnd(of: task, "the informer, cancelled")
        if case .stopped = informer.status {} else { Issue.record("status after cancel \(informer.status)") }
        #expect(await first.next().map(summary) == nil)
    }

    /// A first list that fails (an API server that cannot be reached) is an event too: subscribers waiting for the
    /// first list learn at once that it failed, instead of waiting for an event that never comes.
    @Test func aFailedListTellsTheSubscribers() async throws {
        let h = WatchHarness()
        h.fake.upsert(Widget("a"))
        h.fake.failNextLists([KubeClientError.transport(request: "LIST widgets", description: "cannot resolve address \"nosuch.invalid\"")])
        let informer = makeInformer(h)
        var events = informer.subscribe().makeAsyncIterator()
        let task = Task { await informer.run() }
        let failed = await collect(&events) { if case .failed = $0 { true } else { false } }
        #expect(failed.map(summary) == ["failed"])
        if case .backingOff = informer.status {} else { Issue.record("status \(informer.status)") }
        try await h.settle { informer.hasSynced }
        let listed = await collect(&events) { if case .resynced = $0 { true } else { false } }
        #expect(listed.map(summary) == ["+a", "resynced"])
        task.cancel()
        try await awaitEnd(of: task, "the informer, cancelled")
    }

    @Test func aSlowSubscriberGetsResyncNeededInsteadOfAGrowingQueue() async throws {
        let h = WatchHarness()
        let informer = makeInformer(h, capacity: 4)
        let slow = informer.subscribe()
        var fast = informer.subscribe(capacity: 10_000).makeAsyncIterator()
        let task = Task { await informer.run() }
        try await informer.waitUntilSynced()
        try await h.until { h.fake.openWatchCount == 1 }
        for i in 0..<20 { h.fake.upsert(Widget("w\(i)")) }
        let seen = await collect(&fast) { if case .added(let w) = $0 { w.metadata.name == "w19" } else { false } }
        #expect(seen.count == 21)  // resynced + 20 adds
        informer.stop()
        try await awaitEnd(of: task, "the informer, after stop()")

        var slowEvents: [String] = []
        for await event in slow { slowEvents.append(summary(event)) }
        #expect(slowEvents.first == "resyncNeeded", "\(slowEvents)")
        #expect(slowEvents.count <= 4)
        #expect(informer.snapshot().count == 20)
        #expect(informer.snapshot().objects == h.fake.objects)
    }

    @Test func waitUntilSyncedThrowsWhenTheInformerStopsFirst() async throws {
        let h = WatchHarness()
        h.fake.setOffline(true)
        let informer = makeInformer(h)
        let task = Task { await informer.run() }
        let waiter = Task { try await informer.waitUntilSynced() }
        try await h.until { h.clock.sleeperCount == 1 }
        if case .backingOff(.transport(_, let description), _) = informer.status {
            #expect(description == "connection refused")
        } else {
            Issue.record("status \(informer.status)")
        }
        informer.stop()
        try await awaitEnd(of: task, "the informer, after stop()")
        await #expect(throws: CancellationError.self) { try await waiter.value }
        #expect(!informer.hasSynced)
    }

    @Test func aCancelledSubscriberIsForgotten() async throws {
        let h = WatchHarness()
        let informer = makeInformer(h)
        let events = informer.subscribe()
        #expect(informer.subscriberCount == 1)
        let reader = Task { for await _ in events {} }
        reader.cancel()
        try await awaitEnd(of: reader, "the cancelled subscriber's loop")
        #expect(informer.subscriberCount == 0)
        informer.stop()
    }

    @Test func subscribingToAStoppedInformerEndsAtOnce() async {
        let h = WatchHarness()
        let informer = makeInformer(h)
        informer.stop()
        var iterator = informer.subscribe().makeAsyncIterator()
        #expect(await iterator.next().map(summary) == nil)
        await informer.run()  // returns at once: it was stopped before it ran
        #expect(h.fake.listCalls.isEmpty)
    }
}
