import Foundation
import Testing

@testable import BerthDaemon

@Suite struct DaemonStatusStoreTests {
    private func forward(_ name: String, _ phase: ForwardPhase, reason: ForwardReason? = nil, since: Date) -> ForwardStatus {
        ForwardStatus(name: name, phase: phase, reason: reason, target: "service/\(name)", context: "c", namespace: "default", ports: [], since: since)
    }

    @Test func sinceIsKeptWhilePhaseAndReasonStayTheSame() {
        let store = StatusStore(pid: 1, startedAt: Date(), manifests: [])
        let first = Date(timeIntervalSince1970: 100)
        store.update(forward("web", .ready, since: first))
        store.update(forward("web", .ready, since: Date(timeIntervalSince1970: 200)))
        #expect(store.forward("web")?.since == first)
        store.update(forward("web", .rebinding, reason: .noReadyEndpoints, since: Date(timeIntervalSince1970: 300)))
        #expect(store.forward("web")?.since == Date(timeIntervalSince1970: 300))
    }

    @Test func changesStartWithTheCurrentStatusAndSkipWritesThatChangeNothing() async {
        let store = StatusStore(pid: 1, startedAt: Date(), manifests: [])
        store.setOrder(["db", "web"])
        store.update(forward("web", .pending, since: Date(timeIntervalSince1970: 1)))
        var changes = store.changes().makeAsyncIterator()
        #expect(await changes.next()?.forwards.map(\.name) == ["web"])
        store.update(forward("web", .pending, since: Date(timeIntervalSince1970: 2)))  // no change: not broadcast
        store.update(forward("db", .ready, since: Date(timeIntervalSince1970: 3)))
        let next = await changes.next()
        #expect(next?.forwards.map(\.name) == ["db", "web"], "manifest order, and the no-op write was not sent")
        store.setManifestErrors(["forwards.yaml:3:5: error: bad"])
        #expect(await changes.next()?.manifestErrors == ["forwards.yaml:3:5: error: bad"])
        store.finish()
        #expect(await changes.next() == nil)
    }

    @Test(.timeLimit(.minutes(1))) func aReaderThatComesAfterTheDaemonStoppedGetsTheLastStatusAndTheEnd() async {
        // A status view that starts late (the daemon failed at start-up) must not wait forever.
        let store = StatusStore(pid: 1, startedAt: Date(), manifests: [])
        store.update(forward("web", .failed, reason: .portInUse, since: Date(timeIntervalSince1970: 1)))
        store.finish()
        var changes = store.changes().makeAsyncIterator()
        #expect(await changes.next()?.forwards.first?.reason == .portInUse)
        #expect(await changes.next() == nil)
    }
}
