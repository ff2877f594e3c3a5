import FakeKube
import Foundation
import KubeAPI
import KubeClient
import Testing

/// A client that cancels a watch closes its connection; the server must notice and forget the watch at once,
/// as kube-apiserver does. Otherwise FakeKube's `openWatches` (the steady-state proof of berth) counts ghosts.
@Suite(.timeLimit(.minutes(2)))
struct WatchCancellationAgainstFakeKubeTests {
    @Test func serverForgetsACancelledWatchPromptly() async throws {
        try await FakeKubeFixture.with { fixture in
            try await fixture.withClient { client in
                let stream = try await client.watch(Pod.self, namespace: "team", options: WatchOptions(timeoutSeconds: 300))
                let (firstEvent, signal) = AsyncStream.makeStream(of: Void.self)
                let reader = Task {
                    for try await _ in stream { signal.yield() }
                }
                for await _ in firstEvent { break }
                #expect(fixture.server.stats().openWatches == 1)
                reader.cancel()
                _ = try? await reader.value

                // FakeKube reads while a watch streams (as kube-apiserver does), so the client's close ends it.
                try await poll("the server saw the watch end", within: .seconds(1)) {
                    fixture.server.stats().openWatches == 0
                }
            }
        }
    }
}
