import Foundation
import HostPortSyntax

/// Renders status as the table `berth status` and the live view of `berth up` print.
public enum StatusTable {
    /// One row per forward, columns sized to their content; `wide` adds the context, the container ports the
    /// forward reaches, its error count and its last error (`berth status -o wide`).
    public static func render(_ status: DaemonStatus, now: Date = Date(), wide: Bool = false) -> String {
        var header = ["NAME", "PHASE", "LOCAL", "TARGET", "POD", "CONNS", "TRANSPORT", "SESSIONS", "AGE", "REASON"]
        if wide { header += ["CONTEXT", "POD PORTS", "ERRORS", "LAST ERROR"] }
        var rows: [[String]] = [header]
        for forward in status.forwards {
            var extra: [String] = []
            if wide {
                extra = [
                    forward.context ?? "-",
                    forward.ports.map { $0.targetPort.map(String.init) ?? "-" }.joined(separator: ","),
                    String(forward.connections.errors),
                    forward.lastError ?? "",
                ]
            }
            rows.append([
                forward.name,
                forward.phase.rawValue,
                forward.ports.map(localColumn).joined(separator: ","),
                "\(forward.namespace)/\(forward.target)",
                forward.pod ?? "-",
                conns(forward.connections),
                forward.transport ?? "-",
                forward.sessions.map { "\($0.sessions)/\($0.streams)" } ?? "-",
                age(from: forward.since, to: now),
                forward.message ?? forward.reason?.rawValue ?? "",
            ] + extra)
        }
        // Local names get a column only once some forward has them (docs/local-names.md).
        if status.forwards.contains(where: { !$0.hostnames.isEmpty }) {
            rows[0].insert("NAMES", at: 3)
            for (index, forward) in status.forwards.enumerated() {
                rows[index + 1].insert(forward.hostnames.isEmpty ? "-" : forward.hostnames.joined(separator: ","), at: 3)
            }
        }
        var out = table(rows)
        if status.forwards.contains(where: { $0.namesInstalled == false }) {
            out += "\nlocal names are not in the hosts file (berth may not write it): see `berth hosts`, or run `sudo berth hosts --install`"
        }
        for error in status.manifestErrors {
            out += "\n" + error
        }
        if !status.manifestErrors.isEmpty {
            out += "\n(the last valid manifest keeps running)"
        }
        // Said only once it happened: a network change the daemon resynced after is worth a glance.
        if status.resyncs > 0 {
            out += "\n\(status.resyncs) network resync\(status.resyncs == 1 ? "" : "s") since the start"
        }
        return out
    }

    /// `open/total`, and how many of the open ones drain on an old pod, when any do.
    static func conns(_ counters: ConnectionCounters) -> String {
        let base = "\(counters.open)/\(counters.total)"
        return counters.draining > 0 ? base + " (\(counters.draining) draining)" : base
    }

    static func localColumn(_ port: PortStatus) -> String {
        let host = HostPort.format(host: port.address, port: nil)
        // Not bound (disabled, failed, starting): the port the manifest asks for.
        let local = (port.localPort ?? port.configuredPort).map(String.init) ?? "-"
        return "\(host):\(local)->\(port.remote)"
    }

    /// `42s`, `5m`, `3h`, `2d`, as kubectl shows ages.
    static func age(from since: Date, to now: Date) -> String {
        let seconds = max(0, Int(now.timeIntervalSince(since)))
        switch seconds {
        case ..<120: return "\(seconds)s"
        case ..<(120 * 60): return "\(seconds / 60)m"
        case ..<(48 * 3600): return "\(seconds / 3600)h"
        default: return "\(seconds / 86400)d"
        }
    }

    static func table(_ rows: [[String]]) -> String {
        let columns = rows.map(\.count).max() ?? 0
        var widths = [Int](repeating: 0, count: columns)
        for row in rows {
            for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) }
        }
        return rows.map { row in
            row.enumerated().map { i, cell in
                i == row.count - 1 ? cell : cell.padding(toLength: widths[i], withPad: " ", startingAt: 0)
            }.joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }.joined(separator: "\n")
    }
}
