import Foundation
import Synchronization

/// The status of every forward as reconcile last wrote it, and a stream of changes for live views.
///
/// Reconcile writes a forward's status after acting, from what it observed (DESIGN.md invariant 7);
/// a write that changes nothing is not broadcast.
public final class StatusStore: Sendable {
    private struct State {
        var forwards: [String: ForwardStatus] = [:]
        var order: [String] = []
        var manifestErrors: [String] = []
        var resyncs = 0
        var subscribers: [Int: AsyncStream<DaemonStatus>.Continuation] = [:]
        var nextSubscriber = 0
    }

    private let state = Mutex(State())
    /// The daemon's fixed facts: PID, start time, manifest paths.
    public let pid: Int32
    /// When the daemon started.
    public let startedAt: Date
    /// The manifest and env files the daemon serves.
    public let manifests: [String]

    /// Creates an empty store.
    public init(pid: Int32, startedAt: Date, manifests: [String]) {
        self.pid = pid
        self.startedAt = startedAt
        self.manifests = manifests
    }

    /// Keeps forwards in manifest order in every snapshot.
    public func setOrder(_ names: [String]) {
        mutate { $0.order = names }
    }

    /// Records one forward's status; `since` is kept while the phase and reason stay the same.
    public func update(_ status: ForwardStatus) {
        mutate { state in
            var status = status
            if let old = state.forwards[status.name], old.phase == status.phase, old.reason == status.reason {
                status.since = old.since
            }
            state.forwards[status.name] = status
        }
    }

    /// Reads one forward's status.
    public func forward(_ name: String) -> ForwardStatus? {
        state.withLock { $0.forwards[name] }
    }

    /// Forgets a removed forward.
    public func remove(_ name: String) {
        mutate { $0.forwards[name] = nil }
    }

    /// Records the errors of the last manifest reload (empty when valid).
    public func setManifestErrors(_ errors: [String]) {
        mutate { $0.manifestErrors = errors }
    }

    /// Counts one network-settle resync (shown as `resyncs`).
    public func recordResync() {
        mutate { $0.resyncs += 1 }
    }

    /// The status now, forwards in manifest order.
    public func snapshot() -> DaemonStatus {
        state.withLock { snapshot(of: $0) }
    }

    /// Every change from now on, starting with the current status. Keeps the newest 256 when the reader lags.
    public func changes() -> AsyncStream<DaemonStatus> {
        let (stream, continuation) = AsyncStream.makeStream(of: DaemonStatus.self, bufferingPolicy: .bufferingNewest(256))
        let id = state.withLock { state -> Int in
            state.nextSubscriber += 1
            state.subscribers[state.nextSubscriber] = continuation
            continuation.yield(snapshot(of: state))
            return state.nextSubscriber
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.subscribers.removeValue(forKey: id) }
        }
        return stream
    }

    /// Ends every change stream (the daemon stopped).
    public func finish() {
        let subscribers = state.withLock { state in
            defer { state.subscribers = [:] }
            return state.subscribers.values
        }
        for subscriber in subscribers { subscriber.finish() }
    }

    private func mutate(_ change: (inout State) -> Void) {
        state.withLock { state in
            let before = snapshot(of: state)
            change(&state)
            let after = snapshot(of: state)
            guard after != before else { return }
            for subscriber in state.subscribers.values { subscriber.yield(after) }
        }
    }

    private func snapshot(of state: State) -> DaemonStatus {
        let ordered = state.order.compactMap { state.forwards[$0] }
            + state.forwards.values.filter { !state.order.contains($0.name) }.sorted { $0.name < $1.name }
        return DaemonStatus(
            pid: pid, startedAt: startedAt, manifests: manifests, manifestErrors: state.manifestErrors, forwards: ordered,
            resyncs: state.resyncs)
    }
}
