import KubeAPI
import KubeClient
import KubeClientTesting
import Testing

/// Property: whatever happens to the server and the connection, once the chaos stops the store equals the
/// server's collection. Seeded, so a failing seed replays the same operations (interleavings may differ).
@Suite(.timeLimit(.minutes(1)))
struct ReflectorChaosTests {
    @Test(arguments: [UInt64(1), 2, 3, 4])
    func theStoreConvergesToTheServerAfterARandomHistory(seed: UInt64) async throws {
        // A short history makes resumed watches hit 410 regularly, as a compacting etcd would.
        let h = WatchHarness(historyLimit: 40)
        var rng = SeededRandom(seed: seed)
        var offline = false
        var operations: [String: Int] = [:]
        let serverError = KubeClientError.api(status: Status(message: "boom", reason: "InternalError", code: 500), request: "LIST widgets", retryAfterSeconds: nil)
        let expired = KubeClientError.api(status: FakeListerWatcher<Widget>.expiredStatus("too old"), request: "LIST widgets", retryAfterSeconds: nil)
        let refused = KubeClientError.transport(request: "WATCH widgets", description: "connection refused")
        let forbidden = KubeClientError.api(status: Status(message: "forbidden", reason: "Forbidden", code: 403), request: "WATCH widgets", retryAfterSeconds: nil)
        let throttled = KubeClientError.api(status: Status(message: "slow down", reason: "TooManyRequests", code: 429), request: "WATCH widgets", retryAfterSeconds: 1)

        try await h.withReflector(seed: seed) {
            try await h.settle()
            for step in 0..<400 {
                let roll = Int.random(in: 0..<100, using: &rng)
                let name = "w\(Int.random(in: 0..<60, using: &rng))"
                let op: String
                switch roll {
                case 0..<35:
                    op = "upsert"
                    h.fake.upsert(Widget(name, size: Int.random(in: 0..<1000, using: &rng)))
                case 35..<55:
                    op = "delete"
                    h.fake.delete(ObjectKey(namespace: "shop", name: name))
                case 55..<61:
                    op = "drop"
                    h.fake.dropWatches()
                case 61..<65:
                    op = "timeout"
                    h.fake.closeWatches()
                case 65..<68:
                    op = "expire"
                    h.fake.expireWatches()
                case 68..<71:
                    op = "compact"
                    h.fake.compact()
                case 71..<74:
                    op = "failList"
                    h.fake.failNextLists([[serverError, expired, refused][Int.random(in: 0..<3, using: &rng)]])
                case 74..<77:
                    op = "failWatch"
                    h.fake.failNextWatches([[refused, forbidden, throttled][Int.random(in: 0..<3, using: &rng)]])
                case 77..<80:
                    op = "partition"
                    offline.toggle()
                    h.fake.setOffline(offline)
                case 80..<83:
                    op = "bookmark"
                    h.fake.sendBookmarks()
                default:
                    op = "tick"
                    h.clock.advanceToNextDeadline()
                    await Task.yield()
                }
                operations[op, default: 0] += 1
                if step % 50 == 49 {
                    if offline {
                        offline = false
                        h.fake.setOffline(false)
                    }
                    try await h.settle()
                    #expect(h.storeEqualsSource, "seed \(seed) step \(step)")
                }
            }
            if offline { h.fake.setOffline(false) }
            try await h.settle()
        }
        #expect(h.storeEqualsSource)
        #expect(h.store.snapshot().objects == h.fake.objects)
        #expect(operations.count == 11, "every kind of operation ran: \(operations)")
        #expect(h.fake.listCalls.count > 1, "chaos should have forced relists")
        #expect(h.fake.watchCalls.count > 10)
    }
}
