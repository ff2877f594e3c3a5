import BerthDaemon
import Foundation
import Synchronization

/// Follows the daemon's status changes for the page: derives the events list from them, measures the API
/// request rate, and wakes the event streams on each change. Rebinds are not counted here but read from the
/// status, the count `berth_rebinds_total` shows too (a move straight from one Ready pod to another has no
/// Rebinding phase to see).
final class DashboardFeed: Sendable {
    private struct State {
        var phases: [String: ForwardPhase] = [:]
        var resyncs = 0
        var events: [DashboardEvent] = []
        var requestSamples: [(at: ContinuousClock.Instant, total: Int)] = []
        var generation: UInt64 = 0
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var nextWaiter = 0
        var finished = false
    }

    /// Events kept for the page.
    static let eventsKept = 100
    /// The window the API request rate is measured over.
    static let rateWindow = Duration.seconds(60)

    let source: any DashboardSource
    private let state = Mutex(State())

    init(source: any DashboardSource) {
        self.source = source
    }

    /// Reads the daemon's changes until they end (the daemon stopped) or the task is cancelled.
    func run() async {
        for await status in source.statusChanges() {
            record(status, at: Date())
        }
        wakeAll()
    }

    /// Turns one status into events: phase changes to Rebinding or Failed, the way back to Ready, resyncs.
    func record(_ status: DaemonStatus, at now: Date) {
        let waiters = state.withLock { state in
            var new: [DashboardEvent] = []
            if status.resyncs > state.resyncs {
                new.append(DashboardEvent(at: now, kind: "resync", forward: nil, detail: "network resync #\(status.resyncs)"))
            }
            state.resyncs = status.resyncs
            for forward in status.forwards {
                let before = state.phases[forward.name]
                state.phases[forward.name] = forward.phase
                guard before != forward.phase else { continue }
                let detail = [forward.reason?.rawValue, forward.message].compactMap(\.self).joined(separator: ": ")
                switch forward.phase {
                case .rebinding:
                    new.append(DashboardEvent(at: now, kind: "rebind", forward: forward.name, detail: detail))
                case .failed:
                    new.append(DashboardEvent(at: now, kind: "failed", forward: forward.name, detail: detail))
                case .ready where before == .rebinding || before == .failed:
                    new.append(DashboardEvent(at: now, kind: "ready", forward: forward.name, detail: forward.pod.map { "pod \($0)" }))
                default:
                    break
                }
            }
            state.events = Array((new.reversed() + state.events).prefix(Self.eventsKept))
            state.generation += 1
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// The page's data now.
    func snapshot() async -> DashboardSnapshot {
        let status = await source.status()
        let health = source.health()
        let now = ContinuousClock.now
        return state.withLock { state in
            state.requestSamples.append((now, health.apiRequests))
            state.requestSamples.removeAll { $0.at < now - Self.rateWindow }
            let oldest = state.requestSamples[0]
            let seconds = Double((now - oldest.at).components.seconds) + Double((now - oldest.at).components.attoseconds) / 1e18
            let perMinute = seconds >= 1 ? Double(health.apiRequests - oldest.total) * 60 / seconds : 0
            var extras: [String: DashboardSnapshot.ForwardExtras] = [:]
            for forward in status.forwards {
                extras[forward.name] = .init(rebinds: forward.rebinds, links: HTTPPortRule.links(of: forward))
            }
            return DashboardSnapshot(
                at: Date(), status: status,
                health: .init(watches: health.watches, apiRequests: health.apiRequests, apiRequestsPerMinute: perMinute, resyncs: health.resyncs),
                forwards: extras, events: state.events)
        }
    }

    /// Whether the daemon stopped (its changes ended): event streams end.
    var finished: Bool { state.withLock { $0.finished } }

    /// The number of changes seen so far.
    var generation: UInt64 { state.withLock { $0.generation } }

    /// Returns after the next change past `generation`, or after `timeout`, or on cancellation.
    func wait(past generation: UInt64, timeout: Duration) async {
        let id = state.withLock { state in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await withTaskCancellationHandler {
                    await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                        let now = self.state.withLock { state -> Bool in
                            if state.generation > generation || state.finished || Task.isCancelled { return true }
                            state.waiters[id] = continuation
                            return false
                        }
                        if now { continuation.resume() }
                    }
                } onCancel: {
                    self.state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
                }
            }
            group.addTask { try? await Task.sleep(for: timeout) }
            _ = await group.next()
            group.cancelAll()
        }
    }

    private func wakeAll() {
        let waiters = state.withLock { state in
            state.finished = true
            state.generation += 1
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }
}
