extension Pod {
    /// The `Ready` condition is `True`: the only readiness signal controllers use (`IsPodReady`).
    public var isReady: Bool {
        status?.conditions?.contains { $0.type == "Ready" && $0.isTrue } ?? false
    }

    /// `metadata.deletionTimestamp` is set: the pod is shutting down and must not receive new traffic.
    public var isTerminating: Bool { metadata.deletionTimestamp != nil }

    /// `status.phase == "Running"`; port-forward is refused otherwise.
    public var isRunning: Bool { status?.phase == "Running" }

    /// Running, ready, not terminating: a usable forward target.
    public var isServing: Bool { isRunning && isReady && !isTerminating }

    /// When the pod last became ready (the `Ready` condition's transition time), to prefer long-ready pods.
    public var readySince: String? {
        status?.conditions?.first { $0.type == "Ready" && $0.isTrue }?.lastTransitionTime
    }

    /// Every IP of the pod, primary first, without duplicates.
    public var ips: [String] {
        var result: [String] = []
        if let primary = status?.podIP, !primary.isEmpty { result.append(primary) }
        for entry in status?.podIPs ?? [] {
            if let ip = entry.ip, !ip.isEmpty, !result.contains(ip) { result.append(ip) }
        }
        return result
    }

    /// Resolves a named container port (containers first, then init containers, as kubectl does).
    /// - Parameter protocol: when given, the port's protocol (default `TCP`) must match too, as `FindPort` requires.
    public func containerPort(named name: String, protocol: String? = nil) -> Int? {
        let candidates = (spec?.containers ?? []) + (spec?.initContainers ?? [])
        for container in candidates {
            for port in container.ports ?? [] where port.name == name {
                if let wanted = `protocol`, (port.protocol ?? "TCP") != wanted { continue }
                return port.containerPort
            }
        }
        return nil
    }

    /// The sum of container restarts; fewer restarts make a better target.
    public var restartCount: Int {
        (status?.containerStatuses ?? []).reduce(0) { $0 + ($1.restartCount ?? 0) }
    }
}
