import ArgumentParser
import BerthDaemon
import Foundation
import Yams

/// `berth status`: asks the daemon serving the manifest files how every forward is doing.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the forwards of the daemon serving the manifest files.",
        discussion: """
            Finds the `berth up` daemon by its manifest files (the same -f files, in any order, else a daemon \
            serving any of them) and asks it over its control socket. State left by a daemon that died is \
            reported as not running, and removed.

            --probe opens, for every Ready forward at once, a fresh port-forward stream to the pod's port and \
            reports whether it connected and how long it took; a forward whose probe fails is rebound.

            A daemon started with --ui or --metrics shows the dashboard's URL and /metrics above the table \
            (`dashboard` and `metrics` in JSON); the dashboard's token only with --show-token.

            Exit codes: 0 every enabled forward is Ready, 1 some forward is not Ready, 2 usage error (or \
            several daemons serve the files), 3 no daemon runs for these files, 4 the daemon's answer could \
            not be read.

            Examples:
              berth status
              berth status -f forwards.yaml -f forwards.local.yaml -o json
              berth status -w -o wide
              berth status --probe
              berth status --show-token           # the dashboard's URL with its token
            """
    )

    @OptionGroup var manifest: ManifestOptions

    @Argument(help: ArgumentHelp("Only these forwards (default: every one).", valueName: "forward"), completion: ForwardNameCompletion.kind)
    var names: [String] = []

    @Option(name: .shortAndLong, help: "Output format: text, wide (more columns), json or yaml.")
    var output: OutputFormat = .text

    @Flag(name: .shortAndLong, help: "Print again on every change, until the daemon stops (then exit 3).")
    var watch = false

    @Flag(help: "Probe every Ready forward end to end first.")
    var probe = false

    @Flag(name: .customLong("show-token"), help: "Show the dashboard's URL with its token (from the daemon's state file, mode 0600).")
    var showToken = false

    func run() async throws {
        let finding = DaemonLocator(manifestSet: ManifestSet(paths: manifest.paths())).locate()
        guard case .running(let state, let client) = finding else {
            throw try DaemonCLI.reportNotRunning(finding, files: manifest.paths(), output: output)
        }
        do {
            let first = try await client.status()
            let status = probe ? try await client.probe() : first.status
            if let unknown = names.first(where: { name in !status.forwards.contains { $0.name == name } }) {
                FileHandle.standardError.write(Data("error: the daemon runs no forward named '\(unknown)'\n".utf8))
                throw ExitStatus.usage.exitCode
            }
            let token = showToken ? state.dashboard?.token : nil
            show(try render(status, token: token))
            guard watch else { throw DaemonCLI.exitCode(for: only(status)) }
            var last = first
            while true {
                let next = try await client.status(after: last.generation)
                if next != last { show(try render(next.status, token: token)) }
                last = next
            }
        } catch let error as BerthDaemonError where DaemonCLI.meansGone(error) {
            // The daemon went away between the lookup and the request (or while watching).
            throw try DaemonCLI.reportNotRunning(.notRunning(cleaned: nil), files: manifest.paths(), output: output)
        } catch let error as BerthDaemonError {
            // A daemon that answers badly is not "no daemon": say what went wrong.
            throw CommandFailure("cannot read the daemon's status: \(error)", status: .failed)
        }
    }

    /// The status of the forwards named on the command line, or all.
    private func only(_ status: DaemonStatus) -> DaemonStatus {
        guard !names.isEmpty else { return status }
        var status = status
        status.forwards = status.forwards.filter { names.contains($0.name) }
        return status
    }

    /// Prints and flushes: through a pipe (`berth status --watch | …`) stdout is block-buffered, and a watch
    /// that only shows its updates when it exits shows nothing.
    private func show(_ text: String) {
        print(text)
        fflush(nil)
    }

    /// The status as `--output` asks; `token` is the dashboard's, shown with its URL (`--show-token`).
    private func render(_ status: DaemonStatus, token: String?) throws(CommandFailure) -> String {
        var status = only(status)
        if let token, let url = status.dashboard { status.dashboard = DashboardLink(url: url, token: token).urlWithToken }
        switch output {
        case .text: return DaemonCLI.serverLines(status, tokenShown: token != nil) + StatusTable.render(status) + DaemonCLI.probeLines(status)
        case .wide:
            return DaemonCLI.serverLines(status, tokenShown: token != nil) + StatusTable.render(status, wide: true) + DaemonCLI.probeLines(status)
        case .json, .yaml: return try output.document(StatusDocument(status))
        }
    }
}

/// `DaemonStatus` for `-o json|yaml`, with every forward's `reason` present (null when there is none), so
/// scripts can read the keys without checking for them.
struct StatusDocument: Encodable {
    let status: DaemonStatus

    init(_ status: DaemonStatus) {
        self.status = status
    }

    private enum Keys: String, CodingKey {
        case running, allReady, pid, startedAt, manifests, manifestErrors, resyncs, dashboard, metrics, forwards
    }

    private struct Forward: Encodable {
        let status: ForwardStatus

        private enum Keys: String, CodingKey { case reason }

        func encode(to encoder: any Encoder) throws {
            try status.encode(to: encoder)
            if status.reason == nil {
                var container = encoder.container(keyedBy: Keys.self)
                try container.encodeNil(forKey: .reason)
            }
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(true, forKey: .running)
        try container.encode(status.allReady, forKey: .allReady)
        try container.encode(status.pid, forKey: .pid)
        try container.encode(status.startedAt, forKey: .startedAt)
        try container.encode(status.manifests, forKey: .manifests)
        try container.encode(status.manifestErrors, forKey: .manifestErrors)
        try container.encode(status.resyncs, forKey: .resyncs)
        // Present, null when not served, so scripts can read the keys without checking for them.
        try container.encode(status.dashboard, forKey: .dashboard)
        try container.encode(status.metrics, forKey: .metrics)
        try container.encode(status.forwards.map(Forward.init), forKey: .forwards)
    }
}

/// What `status`, `diff` and `down` share: finding the daemon and telling the truth when there is none.
enum DaemonCLI {
    /// No daemon serves the files.
    static let notRunningExit = ExitCode(3)

    /// Says that no daemon runs (and what stale state was removed): a document on stdout for `-o json|yaml`,
    /// else an `error:` line on stderr. Returns the exit code to throw.
    static func reportNotRunning(
        _ finding: DaemonLocator.Finding, files: [String], output: OutputFormat
    ) throws(CommandFailure) -> ExitCode {
        if case .ambiguous(let daemons) = finding {
            let list = daemons.map { "  PID \($0.owner.pid): " + $0.manifests.joined(separator: " + ") }.joined(separator: "\n")
            throw CommandFailure(
                "\(daemons.count) berth daemons serve \(files.joined(separator: " + ")); name one's files with -f:\n" + list,
                status: .usage)
        }
        var cleaned: String?
        if case .notRunning(let reason) = finding { cleaned = reason }
        if output.isDocument {
            struct NotRunning: Encodable {
                var running = false
                var manifests: [String]
                var staleStateRemoved: String?
            }
            print(try output.document(NotRunning(manifests: ManifestSet(paths: files).paths, staleStateRemoved: cleaned)))
        } else {
            Console.error("no berth daemon is running for \(files.joined(separator: " + "))")
            if let cleaned { Console.err("(removed the state of a daemon that is gone: \(cleaned))") }
        }
        return notRunningExit
    }

    /// Whether a failed request means the daemon is gone (stopped, or died, since it was found): only when its
    /// socket no longer accepts (``ControlClient`` checks). A daemon that answers badly is an error, not "gone".
    static func meansGone(_ error: BerthDaemonError) -> Bool {
        if case .daemonNotRunning = error { return true }
        return false
    }

    /// 0 when every enabled forward is Ready, 1 otherwise.
    static func exitCode(for status: DaemonStatus) -> ExitCode {
        status.allReady ? .success : ExitCode(1)
    }

    /// The lines above the table that say where the dashboard and `/metrics` of the daemon are, when it serves
    /// them; the dashboard's token only with `--show-token` (docs/cli-daemon.md).
    static func serverLines(_ status: DaemonStatus, tokenShown: Bool) -> String {
        var lines: [String] = []
        if let dashboard = status.dashboard {
            lines.append("dashboard  \(dashboard)" + (tokenShown ? "" : "  (berth status --show-token for the URL with its token)"))
        }
        if let metrics = status.metrics { lines.append("metrics    \(metrics)") }
        return lines.isEmpty ? "" : lines.joined(separator: "\n") + "\n\n"
    }

    /// `PROBE` lines under the table, for forwards whose last probe still describes them (the daemon drops
    /// the others), each with its age at `now`: `api  connected in 35.4 ms, 12 s ago`.
    static func probeLines(_ status: DaemonStatus, now: Date = Date()) -> String {
        let probed = status.forwards.compactMap { forward in forward.probe.map { (forward.name, $0) } }
        guard !probed.isEmpty else { return "" }
        let width = probed.map(\.0.count).max() ?? 0
        return "\n\nPROBE\n" + probed.map { name, probe in
            let padded = name.padding(toLength: width, withPad: " ", startingAt: 0)
            let age = age(of: probe.at, now: now)
            if probe.ok { return "\(padded)  connected in \(probe.milliseconds.map { String(format: "%.1f", $0) } ?? "?") ms, \(age)" }
            return "\(padded)  failed, \(age): \(probe.error ?? "unknown error")"
        }.joined(separator: "\n")
    }

    /// `12 s ago`, `4 min ago`, `2 h ago`.
    static func age(of date: Date, now: Date) -> String {
        let seconds = max(0, Int(now.timeIntervalSince(date)))
        if seconds < 120 { return "\(seconds) s ago" }
        if seconds < 7200 { return "\(seconds / 60) min ago" }
        return "\(seconds / 3600) h ago"
    }

    /// Pretty, key-sorted JSON with ISO 8601 dates.
    /// - Throws: a ``CommandFailure`` (exit 4) rather than printing something that is not the value.
    static func json(_ value: some Encodable) throws(CommandFailure) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        do {
            return String(decoding: try encoder.encode(value), as: UTF8.self)
        } catch {
            throw CommandFailure("cannot encode the output as JSON: \(error)", status: .failed)
        }
    }
}
