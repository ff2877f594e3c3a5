import BerthTestSupport
import KubeClient
import KubeClientTesting
import Logging
import Synchronization
import Testing

/// A factory whose lister-watchers are fakes, one per key, kept for inspection.
private final class FakeCluster: Sendable {
    let progress = ProgressSignal()
    let clock = ManualClock()
    let made = Locked<[(InformerKey, FakeListerWatcher<Widget>)]>([])

    func makeFactory() -> InformerFactory<Widget> {
        InformerFactory(clock: clock, logger: quietLogger, random: SeededRandom(seed: 9)) {
            [made, progress] key in
            let fake = FakeListerWatcher<Widget>(progress: progress)
            fake.upsert(Widget("seed", namespace: key.namespace ?? "shop"))
            made.withLock { $0.append((key, fake)) }
            return fake
        }
    }

    var fakes: [FakeListerWatcher<Widget>] { made.withLock { $0.map(\.1) } }

    func until(_ condition: () -> Bool) async throws {
        try await progress.until { condition() ? .done : .wait }
    }
}

@Suite(.timeLimit(.minutes(1)))
struct InformerFactoryTests {
    private let shop = InformerKey(cluster: "kind-dev", namespace: "shop")

    @Test func twoAcquiresOfOneKeyShareOneReflector() async throws {
        let cluster = FakeCluster()
        let factory = cluster.makeFactory()
        let host = Task { try await factory.run() }
        let a = factory.acquire(shop)
        let b = factory.acquire(shop)
        #expect(a.informer === b.informer)
        #expect(factory.leaseCounts == [shop: 2])
        try await a.informer.waitUntilSynced()
        try await b.informer.waitUntilSynced()
        let fakes = cluster.fakes
        #expect(fakes.count == 1)
        try await cluster.until { fakes[0].openWatchCount == 1 }
        #expect(fakes[0].listCalls.count == 1)
        #expect(fakes[0].watchCalls.count == 1)
        host.cancel()
        try await awaitEnd(of: host, "the informer factory, cancelled")
    }

    @Test func keysDifferingInSelectorOrNamespaceGetTheirOwnInformer() async throws {
        let cluster = FakeCluster()
        let factory = cluster.makeFactory()
        let host = Task { try await factory.run() }
        let plain = factory.acquire(shop)
        let selected = factory.acquire(InformerKey(cluster: "kind-dev", namespace: "shop", labelSelector: "app=web"))
        let other = factory.acquire(InformerKey(cluster: "kind-dev", namespace: "db"))
        #expect(plain.informer !== selected.informer && plain.informer !== other.informer)
        for lease in [plain, selected, other] { try await lease.informer.waitUntilSynced() }
        #expect(cluster.fakes.count == 3)
        let selectors = cluster.made.withLock { $0.map { ($0.0.labelSelector, $0.1.listCalls.first?.labelSelector) } }
        for (keySelector, sentSelector) in selectors {
            #expect(keySelector == sentSelector)
        }
        #expect(other.informer.snapshot()[namespace: "db", name: "seed"] != nil)
        host.cancel()
        try await awaitEnd(of: host, "the informer factory, cancelled")
    }

    @Test func releasingTheLastLeaseStopsTheInformerAndItsWatch() async throws {
        let cluster = FakeCluster()
        let factory = cluster.makeFactory()
        let host = Task { try await factory.run() }
        let a = factory.acquire(shop)
        let b = factory.acquire(shop)
        var changes = a.informer.subscribe().makeAsyncIterator()
        try await a.informer.waitUntilSynced()
        let fake = cluster.fakes[0]
        try await cluster.until { fake.openWatchCount == 1 }

        a.release()
        a.release()  // idempotent: does not take b's reference
        #expect(factory.leaseCounts == [shop: 1])
        fake.upsert(Widget("still-watched"))
        _ = await collect(&changes) { if case .added(let w) = $0 { w.metadata.name == "still-watched" } else { false } }
        #expect(fake.openWatchCount == 1)

        b.release()
        #expect(factory.leaseCounts.isEmpty)
        try await cluster.until { fake.openWatchCount == 0 }
        #expect(await changes.next().map(summary) == nil)  // the subscription ends with the informer
        if case .stopped = b.informer.status {} else { Issue.record("status \(b.informer.status)") }
        let calls = (fake.listCalls.count, fake.watchCalls.count)
        #expect(calls == (1, 1))

        let again = factory.acquire(shop)
        #expect(again.informer !== b.informer)
        try await again.informer.waitUntilSynced()
        #expect(cluster.fakes.count == 2)
        host.cancel()
        try await awaitEnd(of: host, "the informer factory, cancelled")
    }

    @Test func droppingALeaseReleasesIt() async throws {
        let cluster = FakeCluster()
        let factory = cluster.makeFactory()
        do {
            let lease = factory.acquire(shop)
            #expect(factory.leaseCounts == [shop: 1])
            _ = lease
        }
        #expect(factory.leaseCounts.isEmpty)
    }

    @Test func cancellingTheHostStopsEveryInformer() async throws {
        let cluster = FakeCluster()
        let factory = cluster.makeFactory()
        let host = Task { try await factory.run() }
        let leases = [factory.acquire(shop), factory.acquire(InformerKey(cluster: "kind-prod", namespace: "shop"))]
        for lease in leases { try await lease.informer.waitUntilSynced() }
        host.cancel()
        try await awaitEnd(of: host, "the informer factory, cancelled")
        let fakes = cluster.fakes
        try await cluster.until { fakes.allSatisfy { $0.openWatchCount == 0 } }
        for lease in leases {
            if case .stopped = lease.informer.status {} else { Issue.record("status \(lease.informer.status)") }
        }
        let late = factory.acquire(InformerKey(cluster: "kind-dev", namespace: "late"))
        if case .stopped = late.informer.status {} else { Issue.record("a late informer should be stopped") }
    }
}
