import FakeKube
import Foundation
import KubeAPI
import KubeClient
import Testing

/// Every informer holds one watch, and over HTTP/1.1 every watch holds one connection for minutes. A client
/// with more informers than its connection pool has room for would queue the rest of its requests behind
/// watches that do not end: forwards in a fourth namespace would wait for their first list forever.
@Suite(.timeLimit(.minutes(2)))
struct ManyWatchesAgainstFakeKubeTests {
    @Test func listsAndWatchesStillGoThroughWhileManyWatchesAreOpen() async throws {
        try await FakeKubeFixture.with { fixture in
            try await fixture.withClient { client in
                var open: [WatchEventStream<Pod>] = []
                for index in 0..<24 {
                    let namespace = index.isMultiple(of: 2) ? "team" : "other"
                    let stream = try await withDeadline(.seconds(10), "watch \(index + 1) of 24 opens") {
                        try await client.watch(Pod.self, namespace: namespace, options: WatchOptions(timeoutSeconds: 300))
                    }
                    open.append(stream)
                }
                #expect(fixture.server.stats().openWatches == 24)
                let pods = try await withDeadline(.seconds(10), "a list beside 24 open watches") {
                    try await client.list(Pod.self, namespace: "team")
                }
                #expect(!pods.items.isEmpty)
                open.removeAll()
            }
        }
    }
}
