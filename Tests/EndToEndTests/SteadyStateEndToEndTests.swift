import Foundation
import Testing

/// At steady state berth sends nothing to the API server (docs/architecture.md, invariant 3): no list, get, watch or
/// port-forward request in 30 s with three Ready forwards. Warm streams would count (each reopen is a
/// port-forward request), but they are recycled only after 4 minutes idle (docs/data-plane.md), so none falls
/// in the window; the informers' watches run 5 to 10 minutes before the server ends them.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct SteadyStateEndToEndTests {
    @Test func noAPIRequestIn30SecondsOfSteadyState() async throws {
        try await ThreeForwards.with { world, berth in
            try await awaitWarm(world)

            try await world.fakeKube(post: "stats/reset")
            // The measured window: nothing to await, the point is that nothing happens.
            try await Task.sleep(for: .seconds(30))
            let stats = try await world.fakeKubeStats()
            #expect(stats.berthRequests.values.allSatisfy { $0 == 0 }, "requests at steady state: \(stats.berthRequests)")
            #expect(stats.openWatches == NetworkResyncEndToEndTests.informers, "the watches stayed open")

            let status = try await world.awaitStatus(berth.manifest, "still Ready") { $0.allPhases(ProcessEndToEndTests.names, are: "Ready") }
            let port = try #require(status.localPort("web"))
            #expect(try await TestHTTP.get(port: port).contains(try #require(status.pod("web"))), "and the forwards still carry traffic")
            #expect(try await berth.down(world), "log:\n\(berth.up.log())")
        }
    }
}
