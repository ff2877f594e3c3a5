import BerthMetrics
import BerthTestSupport
import KubeAPI
import KubeClient
import KubeClientTesting
import Testing

private let refused = KubeClientError.transport(request: "WATCH widgets", description: "connection refused")

@Suite(.timeLimit(.minutes(1)))
struct ReflectorTests {
    @Test func firstListPaginatesFromAnyRVAndWatchesFromTheListRV() async throws {
        let h = WatchHarness()
        for i in 0..<1203 { h.fake.upsert(Widget("w\(i)")) }
        let listedAt = h.fake.resourceVersion
        try await h.withReflector {
            try await h.settle()
            try await h.until { h.fake.openWatchCount == 1 }
        }
        let lists = h.fake.listCalls
        #expect(lists.count == 3)
        #expect(lists[0].resourceVersion == "0" && lists[0].limit == 500 && lists[0].continueToken == nil)
        #expect(lists[1].continueToken != nil && lists[1].resourceVersion == nil)
        #expect(lists[2].continueToken != nil && lists[2].resourceVersion == nil)
        let watch = try #require(h.fake.watchCalls.first)
        #expect(watch.resourceVersion == listedAt)
        #expect(watch.allowWatchBookmarks)
        #expect(h.store.snapshot().count == 1203)
        #expect(h.store.resourceVersion == listedAt)
        #expect(h.sleepCount == 0)
    }

    @Test func aDroppedWatchResumesFromTheLastRVWithoutRelisting() async throws {
        let h = WatchHarness()
        for i in 0..<5 { h.fake.upsert(Widget("w\(i)")) }
        try await h.withReflector {
            try await h.settle()
            try await h.until { h.fake.openWatchCount == 1 }
            h.fake.upsert(Widget("w5"))
            h.fake.upsert(Widget("w0", size: 9))
            try await h.settle()
            let seen = h.store.resourceVersion
            h.fake.dropWatches()
            h.fake.delete(ObjectKey(namespace: "shop", name: "w1"))
            h.fake.upsert(Widget("w6"))
            try await h.settle()
            try await h.until { h.fake.watchCalls.count == 2 && h.fake.openWatchCount == 1 }
            #expect(h.fake.watchCalls[1].resourceVersion == seen)
        }
        #expect(h.fake.listCalls.count == 1)
        #expect(h.sleepCount == 0, "a stream that made progress resumes without backoff")
        #expect(h.store.snapshot()[namespace: "shop", name: "w0"]?.size == 9)
        #expect(h.store.snapshot()[namespace: "shop", name: "w1"] == nil)
    }

    /// At debug level the log tells each watch, with the resourceVersion it starts from, and how each ended: what
    /// shows whether a store lagged behind the server after a watch was dropped.
    @Test func eachWatchAndItsEndAreLoggedAtDebugWithTheResourceVersion() async throws {
        let lines = LogLines()
        var logger = lines.logger
        logger.logLevel = .debug
        let h = WatchHarness(logger: logger)
        h.fake.upsert(Widget("a"))
        try await h.withReflector {
            try await h.settle()
            try await h.until { h.fake.openWatchCount == 1 }
            h.fake.upsert(Widget("b"))
            try await h.settle()
            let seen = try #require(h.store.resourceVersion)
            h.fake.dropWatches()
            try await h.until { h.fake.watchCalls.count == 2 && h.fake.openWatchCount == 1 }
            let watches = lines.lines.filter { $0.contains("watch") }
            #expect(watches.count == 3, "\(watches)")
            #expect(watches.first?.hasPrefix("debug watching ") == true, "\(watches)")
            // The fake drops a watch as a reset connection: the end is a failure, with the error and the events seen.
            #expect(watches.contains { $0.hasPrefix("debug watch failed error=") && $0.contains(" events=1 ") }, "\(watches)")
            #expect(watches.last?.hasPrefix("debug watching again resource=widgets resourceVersion=\(seen)") == true, "\(watches)")
        }
    }

    @Test func aCleanServerTimeoutRewatchesWithoutRelisting() async throws {
        let h = WatchHarness()
        h.fake.upsert(Widget("a"))
        try await h.withReflector {
            try await h.settle()
            try await h.until { h.fake.openWatchCount == 1 }
            h.fake.upsert(Widget("b"))
            try await h.settle()
            h.fake.sendBookmarks()
            h.fake.closeWatches()
            try await h.until { h.fake.watchCalls.count == 2 && h.fake.openWatchCount == 1 }
        }
        #expect(h.fake.listCalls.count == 1)
        #expect(h.fake.watchCalls[1].resourceVersion == h.fake.resourceVersion)
        #expect(h.sleepCount == 0)
    }

    @Test func aVeryShortEmptyWatchBacksOffAndRelists() async throws {
        let h = WatchHarness()
        h.fake.upsert(Widget("a"))
        try await h.withReflector {
            try await h.settle()
            try await h.until { h.fake.openWatchCount == 1 }
            h.fake.closeWatches()  // no event, no time passed on the manual clock
            try await h.settle { h.fake.listCalls.count == 2 && h.fake.openWatchCount == 1 }
        }
        #expect(h.sleepCount == 1)
        #expect(h.fake.listCalls[1].resourceVersionMatch == "NotOlderThan")
        let backedOff = h.statuses.contains {
            if case .backingOff(.transport(_, let description), _) = $0 { description.contains("very short watch") } else { false }
        }
        #expect(backedOff)
    }

    @Test func expiredHistoryRelistsFromTheLastRVAndTheStoreEqualsTheSource() async throws {
        let h = WatchHarness()
        for i in 0..<10 { h.fake.upsert(Widget("w\(i)")) }
        try await h.withReflector {
            try await h.settle()
            try await h.until { h.fake.openWatchCount == 1 }
            let lastSeen = h.store.resourceVersion
            // A partition: while the reflector cannot reach the server, objects change and history is compacted.
            h.fake.setOffline(true)
            try await h.until { h.clock.sleeperCount == 1 }
            for i in 0..<3 { h.fake.delete(ObjectKey(namespace: "shop", name: "w\(i)")) }
            h.fake.upsert(Widget("w5", size: 50))
            h.fake.upsert(Widget("new"))
            h.fake.compact()
            h.fake.setOffline(false)
            try await h.settle()
            let relist = try #require(h.fake.listCalls.last)
            #expect(relist.resourceVersion == lastSeen)
            #expect(relist.resourceVersionMatch == "NotOlderThan")
        }
        let lists = h.fake.listCalls.filter { $0.continueToken == nil }
        #expect(lists.count == 2)
        let relistChanges = try #require(h.replacements.last)
        var deleted = 0, added = 0, updated = 0
        for change in relistChanges {
            switch change {
            case .deleted: deleted += 1
            case .added: added += 1
            case .updated: updated += 1
            }
        }
        #expect((deleted, added, updated) == (3, 1, 1))
    }

    @Test func listErrorsBackOffWithGrowingJitteredDelays() async throws {
        let h = WatchHarness()
        h.fake.upsert(Widget("a"))
        let failure = KubeClientError.api(status: Status(message: "etcd unavailable", reason: "InternalError", code: 500), request: "LIST widgets", retryAfterSeconds: nil)
        h.fake.failNextLists([failure, failure, failure, failure])
        try await h.withReflector {
            try await h.settle()
        }
        let sleeps = h.sleeps.withLock { $0 }
        #expect(sleeps.count == 4)
        let bounds: [(Duration, Duration)] = [(.seconds(0.8), .seconds(1.6)), (.seconds(1.6), .seconds(3.2)), (.seconds(3.2), .seconds(6.4)), (.seconds(6.4), .seconds(12.8))]
        for (sleep, (low, high)) in zip(sleeps, bounds) {
            #expect(sleep >= low && sleep < high)
        }
        let reported = h.statuses.compactMap { status -> Int? in
            if case .backingOff(let error, _) = status { return error.statusCode } else { return nil }
        }
        #expect(reported == [500, 500, 500, 500])
        #expect(h.fake.listCalls.count == 5)
        if case .synced = try #require(h.statuses.last) {} else { Issue.record("ends synced, got \(h.statuses)") }
    }

    @Test func refusedOr429WatchRequestsBackOffAndRewatchWithoutRelisting() async throws {
        let h = WatchHarness()
        h.fake.upsert(Widget("a"))
        let throttled = KubeClientError.api(status: Status(message: "slow down", reason: "TooManyRequests", code: 429), request: "WATCH widgets", retryAfterSeconds: 20)
        h.fake.failNextWatches([refused, throttled])
        try await h.withReflector {
            try await h.settle { h.fake.openWatchCount == 1 }
        }
        let sleeps = h.sleeps.withLock { $0 }
        #expect(sleeps.count == 2)
        #expect(sleeps.count == 2 && sleeps[1] >= .seconds(20), "Retry-After is a floor")
        #expect(h.fake.listCalls.count == 1)
        #expect(h.fake.watchCalls.count == 3)
    }

    @Test func cancellationStopsTheReflectorAndClosesItsWatch() async throws {
        let h = WatchHarness()
        h.fake.upsert(Widget("a"))
        let reflector = h.reflector()
        let task = Task { await reflector.run() }
        try await h.until { h.fake.openWatchCount == 1 }
        task.cancel()
        try await awaitEnd(of: task, "the reflector, cancelled")
        try await h.until { h.fake.openWatchCount == 0 }
        let calls = (h.fake.listCalls.count, h.fake.watchCalls.count)
        h.fake.upsert(Widget("b"))
        h.fake.dropWatches()
        #expect(calls == (1, 1))
        #expect(h.fake.listCalls.count == 1 && h.fake.watchCalls.count == 1)
    }

    @Test func cancellationDuringBackoffEndsTheSleep() async throws {
        let h = WatchHarness()
        h.fake.failNextLists([KubeClientError.transport(request: "LIST widgets", description: "connection refused")])
        let reflector = h.reflector()
        let task = Task { await reflector.run() }
        try await h.until { h.clock.sleeperCount == 1 }
        task.cancel()
        try await awaitEnd(of: task, "the reflector, cancelled")
        #expect(h.clock.sleeperCount == 0)
        #expect(h.fake.listCalls.count == 1)
    }
}

/// `berth_watch_restarts_total`: every watch after a reflector's first (docs/metrics.md).
@Suite(.timeLimit(.minutes(1)))
struct ReflectorWatchRestartTests {
    @Test func everyWatchAfterTheFirstIsARestart() async throws {
        let metrics = BerthMetrics()
        let h = WatchHarness(apiMetrics: APIMetrics(factory: metrics.factory))
        let restarts = { PrometheusSamples(metrics.exposition()).value(MetricName.watchRestartsTotal) }
        h.fake.upsert(Widget("a"))
        try await h.withReflector {
            try await h.settle()
            try await h.until { h.fake.openWatchCount == 1 }
            #expect(restarts() == 0)
            h.fake.upsert(Widget("b"))
            try await h.settle()
            h.fake.dropWatches()
            try await h.until { h.fake.watchCalls.count == 2 && h.fake.openWatchCount == 1 }
            #expect(restarts() == 1)
            h.fake.upsert(Widget("c"))
            try await h.settle()
            h.fake.closeWatches()
            try await h.until { h.fake.watchCalls.count == 3 && h.fake.openWatchCount == 1 }
            #expect(restarts() == 2)
        }
    }
}
