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

    /// Declares a host outside the cluster that relay pods may reach: a relay target `host:port` connects to
    /// `address` (a local server a test runs, standing for a database the cluster reaches); nil forgets it.
    public func setExternalHost(_ host: String, port: Int, address: SocketAddress?) {
        simulation.externalHosts.withLock { $0["\(host):\(port)"] = address }
    }

    /// Chaos: ends every watch stream now (clients re-watch from their last resourceVersion).
    public func dropWatches() {
        store.closeAllWatches()
    }

    /// Chaos: sends a malformed event on every live watch of `resource` (of every resource when nil), to try a
    /// client on bad input; a truncated one also ends those watches. Returns how many watches it reached.
    @discardableResult
    public func sendMalformedWatchEvent(_ malformed: MalformedWatchEvent, resource: ResourceKind? = nil) -> Int {
        store.sendMalformed(malformed, to: resource)
    }

    /// Chaos: every API answer (not those of `/fake/v1/`) carries an `X-Padding` header of `bytes` bytes; 0 removes it.
    public func setHeaderPadding(bytes: Int) {
        chaosState.setHeaderPadding(bytes: bytes)
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

    /// Chaos: adds `roundTrip` to every exchange on every API connection, TLS and port-forward bytes
    /// included (half of it each way; `.zero` removes it). Applies to open connections too.
    public func setRoundTrip(_ roundTrip: Duration) {
        chaosState.setRoundTrip(roundTrip)
    }

    /// Chaos: closes a port-forward connection that has carried no byte for `idle` (`nil` never cuts),
    /// as a load balancer's idle timeout does.
    public func setPortForwardIdleCut(_ idle: Duration?) {
        portForwardRegistry.chaos.idleCut = idle
    }

    /// Chaos: a proxy that cannot carry WebSockets answers every WebSocket upgrade of `pods/portforward` with 400.
    public func setRefuseWebSockets(_ refuse: Bool) {
        portForwardRegistry.chaos.refuseWebSockets = refuse
    }

    /// Chaos: SPDY sessions stop (or start again) answering the client's PINGs.
    public func setIgnorePings(_ ignore: Bool) {
        portForwardRegistry.chaos.ignorePings = ignore
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
