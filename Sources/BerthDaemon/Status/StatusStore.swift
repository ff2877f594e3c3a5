import Foundation
import Synchronization

/// The status of every forward as reconcile last wrote it, and a stream of changes for live views.
///
/// Reconcile writes a forward's status after acting, from what it observed (docs/architecture.md, invariant 7);
/// a write that changes nothing is not broadcast.
public final class StatusStore: Sendable {
    private struct State {
        var forwards: [String: ForwardStatus] = [:]
        var order: [String] = []
        var manifestErrors: [String] = []
        var resyncs = 0
        /// Local names per forward, from the hosts-file keeper; laid over the forwards in every snapshot.
        var localNames: [String: LocalNamesStatus] = [:]
        var subscribers: [Int: AsyncStream<DaemonStatus>.Continuation] = [:]
        var nextSubscriber = 0
        /// After `finish()`, a new subscriber gets the last status and the end at once.
        var finished = false
    }

    private let state = Mutex(State())
    /// Each buffered change is a whole snapshot (about 250 KB with 1,000 forwards). With 256 of them, the
    /// readers that lag while 1,000 forwards start held over a third of the daemon's peak heap; a reader that
    /// is 16 changes behind has the newest state anyway, which is all a status view shows.
    static let changesBuffered = 16
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
        // The hot write (several per forward at start-up): a forward's status is part of every snapshot,
        // so comparing it alone says whether the snapshot changed, without building two of them.
        state.withLock { state in
            var status = status
            let old = state.forwards[status.name]
            if let old, old.phase == status.phase, old.reason == status.reason {
                status.since = old.since
            }
            guard old != status else { return }
            state.forwards[status.name] = status
            broadcast(state)
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

    /// Records every forward's address, local names and whether they are installed (forwards not listed
    /// have none).
    public func setLocalNames(_ names: [String: LocalNamesStatus]) {
        mutate { $0.localNames = names }
    }

    /// Counts one network-settle resync (shown as `resyncs`).
    public func recordResync() {
        mutate { $0.resyncs += 1 }
    }

    /// The status now, forwards in manifest order.
    public func snapshot() -> DaemonStatus {
        state.withLock { snapshot(of: $0) }
    }

    /// Every change from now on, starting with the current status. Keeps the newest `changesBuffered` when
    /// the reader lags.
    public func changes() -> AsyncStream<DaemonStatus> {
        let (stream, continuation) = AsyncStream.makeStream(
            of: DaemonStatus.self, bufferingPolicy: .bufferingNewest(Self.changesBuffered))
        let id = state.withLock { state -> Int in
            state.nextSubscriber += 1
            continuation.yield(snapshot(of: state))
            if state.finished {
                continuation.finish()
            } else {
                state.subscribers[state.nextSubscriber] = continuation
            }
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
            state.finished = true
            defer { state.subscribers = [:] }
            return state.subscribers.values
        }
        for subscriber in subscribers { subscriber.finish() }
    }

    private func mutate(_ change: (inout State) -> Void) {
        state.withLock { state in
            // Snapshots cost O(forwards): build them only when someone listens.
            guard !state.subscribers.isEmpty else { return change(&state) }
            let before = snapshot(of: state)
            change(&state)
            let after = snapshot(of: state)
            guard after != before else { return }
            for subscriber in state.subscribers.values { subscriber.yield(after) }
        }
    }

    private func broadcast(_ state: State) {
        guard !state.subscribers.isEmpty else { return }
        let after = snapshot(of: state)
        for subscriber in state.subscribers.values { subscriber.yield(after) }
    }

    private func snapshot(of state: State) -> DaemonStatus {
        // A set, not `order.contains`, which made every snapshot quadratic in the number of forwards.
        let listed = Set(state.order)
        var ordered = state.order.compactMap { state.forwards[$0] }
            + state.forwards.values.filter { !listed.contains($0.name) }.sorted { $0.name < $1.name }
        if !state.localNames.isEmpty {
            for index in ordered.indices {
                guard let names = state.localNames[ordered[index].name] else { continue }
                ordered[index].address = names.address
                ordered[index].hostnames = names.hostnames
                ordered[index].namesInstalled = names.installed
            }
        }
        return DaemonStatus(
            pid: pid, startedAt: startedAt, manifests: manifests, manifestErrors: state.manifestErrors, forwards: ordered,
            resyncs: state.resyncs)
    }
}
