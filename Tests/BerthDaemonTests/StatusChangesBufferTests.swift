import Foundation
import Testing

@testable import BerthDaemon

/// A reader that lags behind a burst of status writes (1,000 forwards starting) holds a bounded number of
/// snapshots, the newest ones, and ends on the current status.
@Suite struct StatusChangesBufferTests {
    @Test func aLaggingReaderKeepsOnlyTheNewestSnapshots() async {
        let store = StatusStore(pid: 1, startedAt: Date(), manifests: [])
        let changes = store.changes()
        let writes = 100
        for index in 1...writes {
            store.update(ForwardStatus(
                name: "f\(index)", phase: .ready, target: "service/app", context: "c", namespace: "default",
                ports: [], since: Date(timeIntervalSince1970: 1)))
        }
        store.finish()
        var received: [DaemonStatus] = []
        for await status in changes { received.append(status) }
        #expect(received.count == StatusStore.changesBuffered)
        #expect(received.last?.forwards.count == writes, "the newest snapshot is kept")
    }
}
