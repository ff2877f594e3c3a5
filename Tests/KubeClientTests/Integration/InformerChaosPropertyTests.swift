import FakeKube
import Foundation
import KubeAPI
import KubeClient
import Testing

/// Property: whatever seeded sequence of pod creations, deletions, scale changes, dropped watches and
/// compactions the cluster goes through, an informer ends with its store equal to the server's list.
@Suite(.timeLimit(.minutes(2)))
struct InformerChaosPropertyTests {
    /// One step of the random walk.
    enum Step: CustomStringConvertible {
        case create(String, namespace: String)
        case relabel(String, namespace: String)
        case delete(String, namespace: String, force: Bool)
        case deleteControlled
        case scale(Int)
        case dropWatches
        case compact

        var description: String {
            switch self {
            case .create(let name, let namespace): "create \(namespace)/\(name)"
            case .relabel(let name, let namespace): "relabel \(namespace)/\(name)"
            case .delete(let name, let namespace, let force): "delete \(namespace)/\(name)\(force ? " --force" : "")"
            case .deleteControlled: "delete a web pod"
            case .scale(let replicas): "scale web to \(replicas)"
            case .dropWatches: "drop watches"
            case .compact: "compact"
            }
        }
    }

    /// Draws the next step from what exists now, so deletions and relabels hit real pods.
    static func nextStep(_ random: inout SeededRandom, counter: inout Int, bare: [(name: String, namespace: String)]) -> Step {
        let roll = Int.random(in: 0..<100, using: &random)
        switch roll {
        case 0..<35:
            counter += 1
            return .create("p-\(counter)", namespace: Bool.random(using: &random) ? "team" : "other")
        case 35..<60 where !bare.isEmpty:
            let victim = bare.randomElement(using: &random)!
            return .delete(victim.name, namespace: victim.namespace, force: Int.random(in: 0..<4, using: &random) > 0)
        case 60..<70 where !bare.isEmpty:
            let target = bare.randomElement(using: &random)!
            return .relabel(target.name, namespace: target.namespace)
        case 70..<78:
            return .scale(Int.random(in: 0...3, using: &random))
        case 78..<83:
            return .deleteControlled
        case 83..<92:
            return .dropWatches
        default:
            return .compact
        }
    }

    private func apply(_ step: Step, to server: FakeKubeServer) async throws {
        switch step {
        case .create(let name, let namespace):
            server.store.create(.pods, InformerAgainstFakeKubeTests.barePod(name, namespace: namespace))
        case .relabel(let name, let namespace):
            server.store.update(.pods, namespace: namespace, name: name) { pod in
                let flipped = pod["metadata"]?["labels"]?["flip"]?.stringValue == "a" ? "b" : "a"
                pod["metadata"]?["labels"]?["flip"] = .string(flipped)
                return true
            }
        case .delete(let name, let namespace, let force):
            do {
                try await server.deletePod(namespace: namespace, name: name, force: force)
            } catch {
                // A graceful deletion of the same pod may have finished in between; nothing to do.
                guard case .objectNotFound = error else { throw error }
            }
        case .deleteControlled:
            let web = server.objects(.pods, namespace: "team").filter {
                $0["metadata"]?["labels"]?["app"] == "web" && $0["metadata"]?["deletionTimestamp"] == nil
            }
            if let pod = web.first?["metadata"]?["name"]?.stringValue {
                try await server.deletePod(namespace: "team", name: pod, force: true)
            }
        case .scale(let replicas):
            try await server.scale(namespace: "team", name: "web", replicas: replicas)
        case .dropWatches:
            server.dropWatches()
        case .compact:
            server.compact()
        }
    }

    /// The bare pods that exist and are not being deleted.
    private func barePods(_ server: FakeKubeServer) -> [(name: String, namespace: String)] {
        server.objects(.pods).compactMap { pod in
            guard pod["metadata"]?["labels"]?["app"] == "bare", pod["metadata"]?["deletionTimestamp"] == nil,
                let name = pod["metadata"]?["name"]?.stringValue, let namespace = pod["metadata"]?["namespace"]?.stringValue
            else { return nil }
            return (name, namespace)
        }
    }

    @Test(arguments: [0xB3E7 as UInt64, 20_261_126])
    func randomChaosEndsWithTheStoreEqualToTheServer(seed: UInt64) async throws {
        // A short history, so some resumed watches fall behind it and get 410 without an explicit compaction.
        let options = FakeKubeServer.Options(historyLimit: 64)
        try await FakeKubeFixture.with(options: options) { fixture in
            try await fixture.withClient { client in
                let informer = Informer(
                    listerWatcher: client.listerWatcher(for: Pod.self, namespace: nil),
                    clock: InformerAgainstFakeKubeTests.clock, logger: quietLogger, random: SeededRandom(seed: seed))
                try await withRunning(informer) {
                    try await withDeadline(.seconds(45), "first sync") { try await informer.waitUntilSynced() }
                    var random = SeededRandom(seed: seed)
                    var counter = 0
                    var history: [Step] = []
                    for index in 1...150 {
                        let step = Self.nextStep(&random, counter: &counter, bare: barePods(fixture.server))
                        history.append(step)
                        try await apply(step, to: fixture.server)
                        // Let the informer interleave with the steps instead of only seeing their end.
                        if index % 10 == 0 { await Task.yield() }
                        if index % 50 == 0 {
                            try await awaitConverged(
                                informer, server: fixture.server, client: client,
                                "seed \(seed), after step \(index) (\(history.suffix(5).map(\.description)))")
                        }
                    }
                    let converged = try await awaitConverged(
                        informer, server: fixture.server, client: client, "seed \(seed), at the end")
                    #expect(!converged.isEmpty)
                    #expect(history.contains { if case .compact = $0 { true } else { false } })
                    #expect(history.contains { if case .dropWatches = $0 { true } else { false } })
                }
            }
        }
    }
}
