import BerthManifest

extension Daemon {
    /// At start, in each cluster the manifest names: this daemon's relay pods in namespaces where no forward
    /// needs one go (docs/relay.md, "Lifecycle"). Forwards adopt or replace those in the other namespaces.
    func collectRelayOrphans(of manifest: Manifest) async {
        var keeping: [String: Set<String>] = [:]
        var clients: [String: ClusterRegistry.Cluster] = [:]
        for context in Set(manifest.forwards.map(\.context)) {
            guard let cluster = try? await clusters.cluster(context: context) else { continue }  // its forwards say why
            clients[cluster.id] = cluster
            keeping[cluster.id, default: []].formUnion(
                manifest.forwards.filter { $0.context == context && $0.enabled && $0.needsRelay }
                    .map { $0.namespace ?? cluster.client.namespace })
        }
        for (id, cluster) in clients.sorted(by: { $0.key < $1.key }) {
            await relays.collectOrphans(cluster: id, client: cluster.client, keeping: keeping[id] ?? [])
        }
    }
}
