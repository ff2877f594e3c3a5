import BerthTestSupport
import Foundation
import NIOCore
import Testing

@testable import BerthDaemon

/// An open connection ends only when its pod or its stream ends it, or when the pod is gone from the API
/// (docs/data-plane.md, "Connection rules"). A pods store that has not listed yet knows no pod at all: judged by
/// it, every connection would be to a gone pod. Recovery from a failing watch (`ObservedState.retryFailingNow`,
/// after a network change or the API server's return) used to put such a store in place of the synced one; it
/// now ends the informer's backoff and keeps its store.
@Suite(.serialized) struct UnsyncedPodsSnapshotTests {
    @Test func aWatchRetriedAtOnceKeepsItsStoreAndTheConnectionsToItsPods() async throws {
        let manifest = oneForwardManifest("name: lone", "pod: lone", "ports: [{local: 0, remote: 7000}]")
        try await withManualClockDaemon(scenario: FailedRetryTests.scenario, manifest: manifest) { daemon, _, cluster in
            let ready = try await withTimeout(20, "lone Ready") {
                for await status in daemon.statusChanges() where status.forwards.first?.phase == .ready { return status }
                throw CancellationError()
            }
            let port = try #require(ready.forwards.first?.ports.first?.localPort)
            let client = try await connectClient(port: port)
            try await client.executeThenClose { inbound, outbound in
                var answers = inbound.makeAsyncIterator()
                let request = ByteBuffer(string: "GET / HTTP/1.1\r\nHost: lone\r\n\r\n")
                try await outbound.write(request)
                #expect(try await Self.answer(&answers).contains("\"pod\":\"lone\""), "the pod answers through the forward")

                // The pods watch fails (the store keeps its list) and, on a clock that stands still, backs off.
                let scope = ObservedState.Scope(cluster: "admin", namespace: "default")
                _ = try await cluster.raw("/fake/v1/chaos/malformed-watch-event?kind=wrong-types&resource=pods", post: true)
                try await eventually("the pods informer backing off", within: 10) { daemon.observed.isBackingOff(.pods, in: scope) }
                guard case .synced = daemon.observed.health(of: scope, resources: [.pods]) else {
                    Issue.record("a synced store whose watch fails must keep its forward running")
                    return
                }
                // What a reconcile reads just after the retry. The API server answers slowly for a while, so the
                // informer's new list is still on its way: the store must still hold the last good list.
                _ = try await cluster.raw("/fake/v1/chaos/stall?seconds=3", post: true)
                #expect(daemon.observed.retryFailingNow() == 1)
                let objects = daemon.observed.objects(in: scope)
                #expect(objects.pods.map(\.metadata.name) == ["lone"], "the store keeps its pods while it lists again")
                #expect(objects.synced.contains(.pods))
                await daemon.reconciler.closeConnectionsToGonePods("lone", objects: objects)

                // A snapshot of a store that has not listed yet (a first lease) says nothing about any pod either.
                let unlisted = ObservedObjects(
                    servicesByName: [:], endpointSlicesByName: [:], podsByName: [:], deploymentsByName: [:],
                    statefulSetsByName: [:], synced: [])
                await daemon.reconciler.closeConnectionsToGonePods("lone", objects: unlisted)

                // The pod is alive: the same connection still carries requests.
                try await outbound.write(request)
                #expect(try await Self.answer(&answers).contains("\"pod\":\"lone\""), "the connection to the live pod was closed")
                // On a clock that stands still, only the retry can have ended the backoff.
                try await eventually("the pods informer watching again", within: 15) { !daemon.observed.isBackingOff(.pods, in: scope) }
                if case .synced = daemon.observed.health(of: scope, resources: [.pods]) {} else {
                    Issue.record("the pods store is synced after the retry")
                }
            }
        }
    }

    /// Reads one HTTP answer of the http pod (its body is one line of JSON); empty when the connection ended first.
    static func answer(_ inbound: inout NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator) async throws -> String {
        var text = ""
        while !text.contains("}"), let next = try await inbound.next() {
            text += String(buffer: next)
        }
        return text
    }
}
