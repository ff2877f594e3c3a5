/// The names a forward answers to on this machine (docs/manifest.md, "Local names").
extension ForwardSpec {
    /// The explicit `hostnames`, then, with `names: true` on a service forward, the service's cluster
    /// names: `web`, `web.shop`, `web.shop.svc`, `web.shop.svc.cluster.local`. Each name once, in that order.
    /// - Parameters:
    ///   - namespace: the target's namespace as resolved; `nil` when not known yet (only the bare
    ///     service name is given then).
    ///   - clusterDomain: the cluster's DNS domain, `cluster.local` unless the manifest says otherwise.
    public func localNames(namespace: String?, clusterDomain: String) -> [String] {
        var result = hostnames
        if names, case .service(let service) = target {
            result.append(service)
            if let namespace, !namespace.isEmpty {
                result += ["\(service).\(namespace)", "\(service).\(namespace).svc", "\(service).\(namespace).svc.\(clusterDomain)"]
            }
        }
        var seen: Set<String> = []
        return result.filter { seen.insert($0).inserted }
    }

    /// Whether the forward has any local name, whatever its namespace.
    public var hasLocalNames: Bool { !localNames(namespace: nil, clusterDomain: "").isEmpty }
}
