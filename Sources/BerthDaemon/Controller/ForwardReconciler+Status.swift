import BerthManifest
import Foundation
import Logging

extension ForwardReconciler {
    /// The status of `spec` from the listener table and the chosen endpoint (never from intent alone).
    func status(
        _ spec: ForwardSpec, cluster: String?, namespace: String, phase: ForwardPhase, reason: ForwardReason? = nil, message: String? = nil
    ) -> ForwardStatus {
        let entry = entries[spec.name]
        var result = baseStatus(spec, cluster: cluster, namespace: namespace, phase: phase, reason: reason, message: message)
        result.pod = phase == .ready ? entry?.endpoint?.pod : nil
        // Kept while the forward rebinds to the same pod, so its names do not leave the hosts file and come back.
        result.podDomainName = entry?.endpoint?.podDomainName
        result.lastError = entry?.lastError
        result.ports = spec.ports.enumerated().map { index, mapping in
            let running = (entry?.ports.count ?? 0) > index ? entry?.ports[index] : nil
            return PortStatus(
                address: Self.bindHost(spec.address),
                localPort: running?.forward.port ?? entry?.udpPorts[index]?.port.port,
                remote: mapping.remoteText,
                targetPort: phase == .ready ? entry?.endpoint.flatMap { index < $0.containerPorts.count ? $0.containerPorts[index] : nil } : nil,
                additionalAddresses: running.flatMap { port in
                    port.siblings.isEmpty ? nil : port.siblings.compactMap { $0.forward.localAddress.ipAddress }
                },
                configuredPort: mapping.local)
        }
        return result
    }

    func failed(_ spec: ForwardSpec, cluster: String?, namespace: String, reason: ForwardReason, message: String) -> ForwardStatus {
        status(spec, cluster: cluster, namespace: namespace, phase: .failed, reason: reason, message: message)
    }

    func baseStatus(
        _ spec: ForwardSpec, cluster: String?, namespace: String, phase: ForwardPhase, reason: ForwardReason? = nil, message: String? = nil
    ) -> ForwardStatus {
        var status = ForwardStatus(
            name: spec.name, phase: phase, reason: reason, message: message, target: spec.target.description,
            context: cluster, namespace: namespace,
            ports: spec.ports.map {
                PortStatus(address: Self.bindHost(spec.address), localPort: nil, remote: $0.remoteText, configuredPort: $0.local)
            },
            since: Date())
        status.rebinds = rebindCounts[spec.name] ?? 0
        return status
    }

    /// Live connection counters of every running forward, summed over its ports.
    public func connectionCounters() async -> [String: ConnectionCounters] {
        var result: [String: ConnectionCounters] = [:]
        for (name, entry) in entries {
            var sum = ConnectionCounters()
            for forward in entry.ports.flatMap({ $0?.forwards ?? [] }) {
                let counters = await forward.counters()
                sum.open += counters.openConnections
                sum.draining += counters.drainingConnections
                sum.total += counters.totalConnections
                sum.held += counters.heldConnections
                sum.bytesIn += UInt64(counters.bytesIn)
                sum.bytesOut += UInt64(counters.bytesOut)
                // A connection held again is not a failure: it was bridged to the next pod.
                sum.errors += counters.errors.filter { $0.key != .reheld }.values.reduce(0, +)
            }
            result[name] = sum
        }
        return result
    }

    /// The transport each running forward uses (what `auto` settled on for its cluster) and the SPDY
    /// sessions and streams to its pod (0/0 with `websocket`, unless another forward shares the pod).
    public func transportUsage() -> [String: (transport: String, sessions: SessionUsage?)] {
        var result: [String: (transport: String, sessions: SessionUsage?)] = [:]
        for (name, entry) in entries {
            guard let port = entry.ports.compactMap({ $0 }).first else { continue }
            let transport = port.transport == .auto ? clusters.transports.transport(for: port.cluster) ?? .auto : port.transport
            // Always present for a running forward, so status documents keep one shape (0/0 before any session).
            let sessions = entry.endpoint.map { clusters.sessions.usage(cluster: port.cluster, podUID: $0.uid) }
            result[name] = (transport.rawValue, sessions ?? SessionUsage(sessions: 0, streams: 0))
        }
        return result
    }

    /// Closes every listener (daemon stop).
    public func stopAll() async {
        for name in entries.keys {
            await tearDown(name)
        }
    }
}

extension ForwardReconciler {
    /// Writes a forward's status and logs the transition when its phase or reason changed, so every
    /// transition is an event in the log (docs/architecture.md, "A forward's life").
    func publish(_ status: ForwardStatus) {
        let previous = statuses.forward(status.name)
        statuses.update(status)
        if previous?.phase != status.phase {
            metrics.setPhase(of: status.name, to: status.phase.rawValue, among: ForwardPhase.allCases.map(\.rawValue))
        }
        guard previous?.phase != status.phase || previous?.reason != status.reason else { return }
        var metadata: Logger.Metadata = ["forward": "\(status.name)", "phase": "\(status.phase.rawValue)"]
        if let reason = status.reason { metadata["reason"] = "\(reason)" }
        if let message = status.message { metadata["message"] = "\(message)" }
        if let pod = status.pod { metadata["pod"] = "\(pod)" }
        logger.log(level: status.phase == .failed ? .warning : .info, "forward \(status.phase.rawValue)", metadata: metadata)
    }
}
