import BerthDaemon
import FakeKube
import Synchronization

/// One forwarded local port the request loop drives.
struct DemoTarget: Sendable, Hashable {
    /// `forward:localPort`, as the output names it.
    var key: String
    /// The bound local port on 127.0.0.1.
    var port: Int
    /// What the pod's server behind it speaks.
    var kind: DemoProtocol
}

/// The ports the request loop drives, learnt from the daemon's status: a port joins once its forward has been
/// Ready (its local port bound and its container port known), and keeps its local port across rebinds.
final class DemoTargets: Sendable {
    private let behaviours: [String: [Int: PortBehaviour]]
    private let known = Mutex<Set<String>>([])

    /// Reads which behaviour each container port has in each namespace of `scenario`.
    init(scenario: Scenario) {
        var behaviours: [String: [Int: PortBehaviour]] = [:]
        var containers: [(String, [Scenario.Container])] = []
        for workload in scenario.deployments + scenario.statefulsets { containers.append((workload.namespace, workload.containers)) }
        for pod in scenario.pods { containers.append((pod.namespace, pod.containers)) }
        for (namespace, list) in containers {
            for port in list.flatMap(\.ports) { behaviours[namespace, default: [:]][port.containerPort] = port.behaviour }
        }
        self.behaviours = behaviours
    }

    /// The targets in `status` not seen before; each is returned once.
    func newTargets(in status: DaemonStatus) -> [DemoTarget] {
        var found: [DemoTarget] = []
        for forward in status.forwards where forward.phase == .ready {
            for port in forward.ports {
                guard let local = port.localPort, let container = port.targetPort,
                      let behaviour = behaviours[forward.namespace]?[container]
                else { continue }
                // `source` and `sink` pods neither answer a request nor echo: the loop leaves them alone.
                let kind: DemoProtocol
                switch behaviour {
                case .http: kind = .http
                case .echo: kind = .echo
                default: continue
                }
                found.append(DemoTarget(key: "\(forward.name):\(local)", port: local, kind: kind))
            }
        }
        return known.withLock { known in
            found.filter { known.insert($0.key).inserted }
        }
    }
}
