import BerthDaemon
import BerthWeb
import Foundation
import Synchronization

/// A daemon as the dashboard sees it, whose status the test sets and whose actions it records.
final class FakeDashboardSource: DashboardSource {
    private struct State {
        var status: DaemonStatus
        var listeners: [AsyncStream<DaemonStatus>.Continuation] = []
        var rebinds: [String] = []
        var probes: [String] = []
    }

    private let state: Mutex<State>

    init(forwards: [ForwardStatus]) {
        state = Mutex(State(status: DaemonStatus(pid: 42, startedAt: Date(), manifests: ["/w/forwards.yaml"], manifestErrors: [], forwards: forwards)))
    }

    /// A Ready forward `name` on 127.0.0.1:`port`, remote `remote`.
    static func forward(_ name: String, _ phase: ForwardPhase = .ready, port: Int = 18080, remote: String = "http") -> ForwardStatus {
        ForwardStatus(
            name: name, phase: phase, target: "service/\(name)", context: "kind", namespace: "shop",
            ports: [PortStatus(address: "127.0.0.1", localPort: port, remote: remote, targetPort: 8080)], pod: "\(name)-0", since: Date())
    }

    /// Changes the status and tells every listener.
    func set(_ change: (inout DaemonStatus) -> Void) {
        let (status, listeners) = state.withLock { state in
            change(&state.status)
            return (state.status, state.listeners)
        }
        for listener in listeners { listener.yield(status) }
    }

    var rebinds: [String] { state.withLock { $0.rebinds } }
    var probes: [String] { state.withLock { $0.probes } }

    func status() async -> DaemonStatus { state.withLock { $0.status } }

    func statusChanges() -> AsyncStream<DaemonStatus> {
        let (stream, continuation) = AsyncStream.makeStream(of: DaemonStatus.self)
        state.withLock { state in
            state.listeners.append(continuation)
            continuation.yield(state.status)
        }
        return stream
    }

    func health() -> DaemonHealth { DaemonHealth(watches: 3, apiRequests: 7, resyncs: 0) }

    func probe(_ name: String) async -> ProbeResult? {
        state.withLock { state in
            state.probes.append(name)
            guard state.status.forwards.contains(where: { $0.name == name && $0.phase == .ready }) else { return nil }
            return ProbeResult(ok: true, milliseconds: 1.5, error: nil, at: Date())
        }
    }

    func rebind(_ name: String) async -> Bool {
        state.withLock { state in
            state.rebinds.append(name)
            return state.status.forwards.contains { $0.name == name }
        }
    }
}
