/// The names a forward answers to on this machine (docs/manifest.md, "Local names").
extension ForwardSpec {
    /// The explicit `hostnames`, then, with `names: true`, the cluster names: for a service forward the
    /// service's (`web`, `web.shop`, `web.shop.svc`, `web.shop.svc.cluster.local`), then for a forward whose
    /// pod has a name under a headless service that name in the same forms (`postgres-0.postgres`,
    /// `postgres-0.postgres.data`, `postgres-0.postgres.data.svc`, `postgres-0.postgres.data.svc.cluster.local`).
    /// Each name once, in that order.
    /// - Parameters:
    ///   - namespace: the target's namespace as resolved; `nil` when not known yet (only the bare
    ///     service name is given then).
    ///   - clusterDomain: the cluster's DNS domain, `cluster.local` unless the manifest says otherwise.
    ///   - podDomainName: the chosen pod's `hostname.subdomain` when its subdomain is a headless service;
    ///     known only once the daemon has picked the pod.
    public func localNames(namespace: String?, clusterDomain: String, podDomainName: String? = nil) -> [String] {
        var result = hostnames
        func clusterForms(_ base: String) {
            result.append(base)
            if let namespace, !namespace.isEmpty {
                result += ["\(base).\(namespace)", "\(base).\(namespace).svc", "\(base).\(namespace).svc.\(clusterDomain)"]
            }
        }
        if names, case .service(let service) = target { clusterForms(service) }
        if names, let podDomainName, !podDomainName.isEmpty { clusterForms(podDomainName) }
        var seen: Set<String> = []
        return result.filter { seen.insert($0).inserted }
    }

    /// Whether the forward has any local name, whatever its namespace and pod: explicit `hostnames`, or
    /// `names: true` on a target that has cluster names (a service) or whose pods may have one under a
    /// headless service (a statefulset, a pod).
    public var hasLocalNames: Bool {
        guard hostnames.isEmpty else { return true }
        switch target {
        case .service, .statefulSet, .pod: return names
        case .deployment, .selector, .host: return false
        }
    }
}
