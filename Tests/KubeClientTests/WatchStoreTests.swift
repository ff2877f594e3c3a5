import KubeClient
import Testing

private func widget(_ name: String, rv: String, size: Int = 0, namespace: String = "shop") -> Widget {
    var w = Widget(name, namespace: namespace, size: size)
    w.metadata.resourceVersion = rv
    return w
}

private func names(_ changes: [StoreChange<Widget>]) -> [String] {
    changes.map {
        switch $0 {
        case .added(let w): "+\(w.metadata.name!)"
        case .updated(_, let w): "~\(w.metadata.name!)"
        case .deleted(let w): "-\(w.metadata.name!)"
        }
    }.sorted()
}

@Suite struct WatchStoreTests {
    @Test func replaceReportsOnlyTheDifference() {
        let store = Store<Widget>()
        #expect(!store.hasSynced)
        #expect(names(store.replace([widget("a", rv: "1"), widget("b", rv: "2"), widget("c", rv: "3")], resourceVersion: "3")) == ["+a", "+b", "+c"])
        #expect(store.hasSynced)
        let changes = store.replace([widget("a", rv: "1"), widget("b", rv: "5", size: 2), widget("d", rv: "6")], resourceVersion: "6")
        #expect(names(changes) == ["+d", "-c", "~b"])
        let snapshot = store.snapshot()
        #expect(snapshot.items.map { $0.metadata.name! } == ["a", "b", "d"])
        #expect(snapshot.resourceVersion == "6")
        #expect(snapshot[namespace: "shop", name: "b"]?.size == 2)
    }

    @Test func eventsConvergeEvenWhenReplayed() {
        let store = Store<Widget>()
        store.replace([], resourceVersion: "1")
        #expect(names([store.apply(.added(widget("a", rv: "2")))].compactMap { $0 }) == ["+a"])
        // A replayed ADDED of a known key is an update; a MODIFIED of an unknown key is an add.
        #expect(names([store.apply(.added(widget("a", rv: "3")))].compactMap { $0 }) == ["~a"])
        #expect(names([store.apply(.modified(widget("b", rv: "4")))].compactMap { $0 }) == ["+b"])
        #expect(names([store.apply(.deleted(widget("a", rv: "5")))].compactMap { $0 }) == ["-a"])
        #expect(store.apply(.deleted(widget("a", rv: "6"))) == nil)
        #expect(store.resourceVersion == "6")
        #expect(store.apply(.bookmark(resourceVersion: "9")) == nil)
        #expect(store.resourceVersion == "9")
        #expect(store.snapshot().count == 1)
    }

    @Test func aSnapshotDoesNotChangeUnderLaterWrites() {
        let store = Store<Widget>()
        store.replace([widget("a", rv: "1")], resourceVersion: "1")
        let before = store.snapshot()
        store.apply(.deleted(widget("a", rv: "2")))
        store.apply(.added(widget("z", rv: "3", namespace: "other")))
        #expect(before.count == 1 && before[namespace: "shop", name: "a"] != nil)
        #expect(store.snapshot()[ObjectKey(namespace: "other", name: "z")] != nil)
        #expect(store.object(forKey: ObjectKey(namespace: "shop", name: "a")) == nil)
    }
}
