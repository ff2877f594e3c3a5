import Foundation
import Testing

@testable import BerthDaemon

/// `resyncs` in the daemon status: counted, broadcast, and optional when reading an older daemon's state.
@Suite struct ResyncCountTests {
    @Test func eachResyncIsCountedAndBroadcast() async {
        let store = StatusStore(pid: 1, startedAt: Date(), manifests: [])
        var changes = store.changes().makeAsyncIterator()
        #expect(await changes.next()?.resyncs == 0)
        store.recordResync()
        #expect(await changes.next()?.resyncs == 1, "a resync is a status change: --watch shows it")
        store.recordResync()
        #expect(store.snapshot().resyncs == 2)
        store.finish()
    }

    @Test func aStatusWithoutResyncsDecodesAsZero() throws {
        let status = DaemonStatus(pid: 7, startedAt: Date(timeIntervalSince1970: 0), manifests: ["/m.yaml"], manifestErrors: [], forwards: [], resyncs: 3)
        let encoded = try JSONEncoder().encode(status)
        #expect(try JSONDecoder().decode(DaemonStatus.self, from: encoded) == status)
        var object = try #require(try JSONSerialization.jsonObject(with: encoded) as? [String: Any])
        object["resyncs"] = nil
        let older = try JSONDecoder().decode(DaemonStatus.self, from: try JSONSerialization.data(withJSONObject: object))
        #expect(older.resyncs == 0 && older.pid == 7 && older.manifests == ["/m.yaml"])
    }
}
