import Foundation
import Logging
import NIOCore
import Reconcile

/// Probes forwards end to end: for each bound port, a fresh upstream stream (a port-forward stream through
/// the API server, in production) to the pod port the forward uses now, timed, then closed.
///
/// A forward whose probe fails is rebound: its data-plane endpoint is cleared and the forward is queued for
/// reconcile, which points it at a ready endpoint again with fresh warm streams.
struct ForwardProber: Sendable {
    let clock: ElapsedClock
    let logger: Logger

    /// Probes each forward of `targets` concurrently; the results are keyed by forward name.
    func probe(_ targets: [String: [Forward]]) async -> [String: ProbeResult] {
        await withTaskGroup(of: (String, ProbeResult).self) { group in
            for (name, forwards) in targets {
                group.addTask { (name, await probe(forwards)) }
            }
            var results: [String: ProbeResult] = [:]
            for await (name, result) in group { results[name] = result }
            return results
        }
    }

    /// One forward: every port must open; the latency reported is the slowest port's.
    func probe(_ forwards: [Forward]) async -> ProbeResult {
        guard !forwards.isEmpty else {
            return ProbeResult(ok: false, milliseconds: nil, error: "no bound listener", at: Date())
        }
        var slowest = Duration.zero
        for forward in forwards {
            guard let endpoint = await forward.counters().endpoint else {
                return ProbeResult(ok: false, milliseconds: nil, error: "no endpoint chosen (connections are held)", at: Date())
            }
            do {
                slowest = max(slowest, try await measure(forward, endpoint))
            } catch {
                return ProbeResult(ok: false, milliseconds: nil, error: "\(endpoint): \(error)", at: Date())
            }
        }
        return ProbeResult(ok: true, milliseconds: Self.milliseconds(slowest), error: nil, at: Date())
    }

    private func measure(_ forward: Forward, _ endpoint: UpstreamEndpoint) async throws -> Duration {
        let start = clock.now()
        let stream = try await forward.connector.connect(to: endpoint, on: forward.eventLoop)
        let took = clock.now() - start
        try? await stream.channel.close()
        return took
    }

    static func milliseconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return (Double(seconds) * 1000 + Double(attoseconds) / 1e15).rounded(toPlaces: 3)
    }
}

extension Double {
    fileprivate func rounded(toPlaces places: Int) -> Double {
        let scale = Foundation.pow(10.0, Double(places))
        return (self * scale).rounded() / scale
    }
}
