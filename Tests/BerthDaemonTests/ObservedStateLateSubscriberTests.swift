import BerthTestSupport
import Foundation
import KubeClient
import Synchronization
import Testing

@testable import BerthDaemon

/// The informer factory may start an informer before the observed state subscribes to it, and a list that
/// finished in between broadcast to nobody. The forwards reading that scope must still hear that it synced,
/// or they wait in `CacheSyncing` until the next event or the periodic resync.
@Suite struct ObservedStateLateSubscriberTests {
    /// The scopes the observed state woke, in order.
    final class Wakeups: Sendable {
        let scopes = Mutex<[ObservedState.Scope]>([])
    }

    @Test func aScopeWhoseInformerSyncedBeforeTheSubscriptionStillWakesItsForwards() async throws {
        try await withTemporaryDirectory { dir in
            let cluster = try await FakeKubeProcess.start(scenario: FailedRetryTests.scenario, in: dir)
            defer { cluster.stop() }
            let clusters = ClusterRegistry(kubeconfig: cluster.kubeconfig, context: nil, environment: [:], logger: quietLogger)
            let woken = Wakeups()
            let observed = ObservedState(clusters: clusters, clock: ContinuousClock(), logger: quietLogger) { scope in
                woken.scopes.withLock { $0.append(scope) }
            }
            // The registry's clients must be shut down on every path, a failed expectation's too.
            let outcome: Result<Void, any Error>
            do {
                try await Self.leaseASyncedScope(observed, clusters, woken)
                outcome = .success(())
            } catch {
                outcome = .failure(error)
            }
            await clusters.shutdown()
            try outcome.get()
        }
    }

    private static func leaseASyncedScope(_ observed: ObservedState, _ clusters: ClusterRegistry, _ woken: Wakeups) async throws {
        let id = try await clusters.cluster(context: nil).id
        let scope = ObservedState.Scope(cluster: id, namespace: "default")
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await observed.run() }
            defer { observed.finish() }
            // The informer exists and has synced before the observed state leases it: the broadcast of its first
            // list is over, as it is when the factory's start wins the race against the subscription.
            let early = observed.pods.factory.acquire(InformerKey(cluster: id, namespace: "default"))
            defer { early.release() }
            try await eventually("the pods informer synced", within: 20) { early.informer.hasSynced }

            observed.require(forward: "late", scope: scope, resources: [.pods])
            try await eventually("the forward's scope woken", within: 10) { woken.scopes.withLock { $0.contains(scope) } }
        }
    }
}
