import FakeKube
import Synchronization
import Testing

@testable import FakeKube

@Suite struct ObjectStoreTests {
    private func pod(_ name: String, namespace: String = "default", labels: [String: String] = [:]) -> JSON {
        ["metadata": ["name": .string(name), "namespace": .string(namespace), "labels": .stringMap(labels)], "status": ["phase": "Running"]]
    }

    @Test func everyChangeGetsTheNextResourceVersion() throws {
        let store = ObjectStore()
        let start = store.resourceVersion
        let created = try #require(store.create(.pods, pod("a")))
        #expect(created["metadata"]?["resourceVersion"] == .string(String(start + 1)))
        #expect(created["metadata"]?["uid"]?.stringValue?.isEmpty == false)
        let updated = try #require(store.update(.pods, namespace: "default", name: "a") { object in
            object["status"]?["phase"] = "Succeeded"
            return true
        })
        #expect(updated["metadata"]?["resourceVersion"] == .string(String(start + 2)))
        let deleted = try #require(store.delete(.pods, namespace: "default", name: "a"))
        #expect(deleted["metadata"]?["resourceVersion"] == .string(String(start + 3)))
        #expect(store.get(.pods, namespace: "default", name: "a") == nil)
        #expect(store.create(.pods, pod("b")) != nil)
        #expect(store.create(.pods, pod("b")) == nil, "a second object of the same name is refused")
    }

    @Test func anUpdateThatChangesNothingRecordsNoEvent() throws {
        let store = ObjectStore()
        store.create(.pods, pod("a"))
        let before = store.resourceVersion
        #expect(store.update(.pods, namespace: "default", name: "a") { _ in true } == nil)
        #expect(store.resourceVersion == before)
    }

    @Test func listIsSortedAndScopedToTheNamespace() {
        let store = ObjectStore()
        store.create(.pods, pod("b", namespace: "x"))
        store.create(.pods, pod("a", namespace: "y"))
        store.create(.pods, pod("c", namespace: "x"))
        let all = store.list(.pods, namespace: nil).items.map { $0["metadata"]?["name"]?.stringValue ?? "" }
        #expect(all == ["b", "c", "a"])
        let x = store.list(.pods, namespace: "x").items.map { $0["metadata"]?["name"]?.stringValue ?? "" }
        #expect(x == ["b", "c"])
    }

    @Test func watchFromAVersionReplaysWhatFollowedIt() throws {
        let store = ObjectStore()
        store.create(.pods, pod("a"))
        let mark = store.resourceVersion
        store.create(.pods, pod("b"))
        store.delete(.pods, namespace: "default", name: "a")
        store.create(.services, ["metadata": ["name": "s", "namespace": "default"]])
        let start = store.watch(.pods, from: mark) { _ in }
        guard case .started(_, let initial, let replay, _) = start else {
            Issue.record("expected the watch to start")
            return
        }
        #expect(initial.isEmpty)
        #expect(replay.map(\.type) == [.added, .deleted])
        #expect(replay.map { $0.object["metadata"]?["name"]?.stringValue } == ["b", "a"])
    }

    @Test func watchWithoutAVersionStartsWithTheCurrentObjects() {
        let store = ObjectStore()
        store.create(.pods, pod("a"))
        store.create(.pods, pod("b"))
        guard case .started(_, let initial, let replay, _) = store.watch(.pods, from: nil, deliver: { _ in }) else {
            Issue.record("expected the watch to start")
            return
        }
        #expect(initial.count == 2)
        #expect(replay.isEmpty)
    }

    @Test func liveEventsReachWatchersInOrderAndCloseEndsThem() {
        let store = ObjectStore()
        let seen = Mutex<[String]>([])
        _ = store.watch(.pods, from: nil) { delivery in
            switch delivery {
            case .event(let event): seen.withLock { $0.append("\(event.type.rawValue) \(event.resourceVersion)") }
            case .close: seen.withLock { $0.append("close") }
            case .raw: seen.withLock { $0.append("raw") }
            }
        }
        store.create(.pods, pod("a"))
        store.delete(.pods, namespace: "default", name: "a")
        #expect(store.openWatches == 1)
        store.closeAllWatches()
        #expect(store.openWatches == 0)
        #expect(seen.withLock { $0 } == ["ADDED 2", "DELETED 3", "close"])
    }

    @Test func compactionExpiresOlderVersions() {
        let store = ObjectStore()
        store.create(.pods, pod("a"))
        let old = store.resourceVersion
        store.create(.pods, pod("b"))
        store.compact()
        guard case .expired(let requested, _) = store.watch(.pods, from: old, deliver: { _ in }) else {
            Issue.record("a watch from before the compaction must expire")
            return
        }
        #expect(requested == old)
        guard case .started = store.watch(.pods, from: store.resourceVersion, deliver: { _ in }) else {
            Issue.record("a watch from the current version must start")
            return
        }
    }

    @Test func theHistoryIsBounded() {
        let store = ObjectStore(historyLimit: 3)
        for index in 0..<6 { store.create(.pods, pod("p\(index)")) }
        #expect(store.compactedThrough == store.resourceVersion - 3)
        guard case .expired = store.watch(.pods, from: store.resourceVersion - 4, deliver: { _ in }) else {
            Issue.record("a version older than the retained history must expire")
            return
        }
        guard case .started(_, _, let replay, _) = store.watch(.pods, from: store.resourceVersion - 3, deliver: { _ in }) else {
            Issue.record("the retained history must replay")
            return
        }
        #expect(replay.count == 3)
    }
}
