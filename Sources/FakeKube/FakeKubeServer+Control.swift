import Foundation
import NIOCore

extension FakeKubeServer {
    /// Deletes a pod as `kubectl delete pod` does: gracefully (deletionTimestamp, not ready, gone after
    /// its grace period) or, with `force`, at once. Its controller replaces it after the replacement delay.
    public func deletePod(namespace: String, name: String, force: Bool = false) async throws(FakeKubeError) {
        let pod: JSON?
        do {
            pod = try await simulation.deletePod(namespace: namespace, name: name, gracePeriod: force ? 0 : nil).get()
        } catch {
            throw .serverShutDown
        }
        guard pod != nil else { throw .objectNotFound(resource: "pods", namespace: namespace, name: name) }
    }

    /// Sets the replicas of a Deployment (or, with `resource: .statefulsets`, a StatefulSet).
    public func scale(
        _ resource: ResourceKind = .deployments, namespace: String, name: String, replicas: Int
    ) async throws(FakeKubeError) {
        let object: JSON?
        do {
            object = try await simulation.scale(resource, namespace: namespace, name: name, replicas: replicas).get()
        } catch {
            throw .serverShutDown
        }
        guard object != nil else { throw .objectNotFound(resource: resource.rawValue, namespace: namespace, name: name) }
    }

    /// Chaos: ends every watch stream now (clients re-watch from their last resourceVersion).
    public func dropWatches() {
        store.closeAllWatches()
    }

    /// Chaos: closes every port-forward session and stream.
    public func dropPortForwards() {
        portForwardRegistry.closeAll()
    }

    /// Chaos: closes every connection and refuses new ones for `seconds`, then listens again on the same port.
    public func partition(seconds: Double) {
        restartAPIServer(after: seconds)
    }

    /// Chaos: holds every answer until `seconds` from now.
    public func stall(seconds: Double) {
        chaosState.stall(seconds: seconds)
    }

    /// Chaos: adds this latency before every answer (`.zero` removes it).
    public func setLatency(_ latency: Duration) {
        chaosState.setLatency(latency)
    }

    /// Chaos: closes everything and listens again on the same port at once; the cluster keeps its state.
    public func restart() {
        restartAPIServer(after: 0)
    }

    /// Chaos: drops the watch history, so that a watch resuming from an earlier resourceVersion gets 410.
    public func compact() {
        store.compact()
    }

    /// Sets every request counter back to zero.
    public func resetStats() {
        requestCounters.reset()
    }
}
