import Foundation

/// A running `berth up` over ``ProcessEndToEndTests``' three forwards (web, db, api), once all are Ready.
struct ThreeForwards {
    let manifest: String
    let up: Spawned
    let ready: [String: Any]

    /// Starts FakeKube on the shared scenario (through `launcher`), then `berth up` (with `upArguments` after its
    /// files and kubeconfig), and runs `body` once every forward is Ready; `berth up` is killed afterwards if
    /// `body` did not stop it.
    static func with(
        launcher: [String] = [], upArguments: [String] = [], _ body: (ProcessWorld, ThreeForwards) async throws -> Void
    ) async throws {
        try await ProcessWorld.with(scenario: ProcessEndToEndTests.scenario, launcher: launcher) { world in
            let manifest = try world.write("forwards.yaml", ProcessEndToEndTests.manifest)
            let up = try world.startBerth(["up", "-f", manifest, "--kubeconfig", world.kubeconfig] + upArguments)
            defer { up.stop() }
            let ready = try await world.awaitStatus(manifest, "three Ready forwards") { $0.allPhases(ProcessEndToEndTests.names, are: "Ready") }
            try await body(world, ThreeForwards(manifest: manifest, up: up, ready: ready))
        }
    }

    /// `berth down`, which must succeed.
    func down(_ world: ProcessWorld) async throws -> Bool {
        try await world.berth(["down", "-f", manifest]).status == 0
    }
}
