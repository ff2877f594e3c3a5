import ArgumentParser
import BerthDaemon
import BerthManifest
import BerthMetrics
import BerthWeb
import Foundation
import ServiceLifecycle
import Synchronization

/// `berth up`: runs every forward of the manifest in the foreground and keeps it converged.
struct Up: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the manifest's forwards in the foreground and keep them alive.",
        discussion: """
            Watches the manifest files (and env files): an edit is applied within a fraction of a second, an \
            invalid edit keeps the last valid manifest running and shows the error. On a terminal a live table \
            of the forwards (as berth status shows it) is redrawn on every change and every second; otherwise \
            log lines go to stderr. \
            SIGINT or SIGTERM stops accepting, closes every forward and exits 0.

            Exit codes: 0 stopped by a signal, 1 invalid manifest at start-up (or a --metrics address that cannot be \
            served), 2 usage error or unreadable file.

            Examples:
              berth up
              berth up -f forwards.yaml -f forwards.local.yaml --env-file staging.env
              berth up --context staging
              berth up --metrics 9464             # Prometheus: 127.0.0.1:9464/metrics
              berth up --ui 8080                  # web dashboard: 127.0.0.1:8080
            """
    )

    @OptionGroup var manifest: ManifestOptions

    @Option(help: ArgumentHelp("kubeconfig context for forwards that name none; wins over defaults.context and current-context.", valueName: "name"))
    var context: String?

    @Option(help: ArgumentHelp("kubeconfig file (default: $KUBECONFIG, then ~/.kube/config).", valueName: "path"))
    var kubeconfig: String?

    @Option(help: ArgumentHelp("The hosts file that gets the forwards' local names.", valueName: "path"))
    var hostsFile = Up.defaultHostsFile

    @OptionGroup var web: WebServerOptions

    /// Where local names go unless `--hosts-file` says otherwise.
    static let defaultHostsFile = "/etc/hosts"

    func run() async throws {
        let live = Foreground.stdoutIsTerminal
        let registry = BerthMetrics()
        let set = ManifestSet(paths: manifest.paths())
        try refusePortsInUse(by: set)
        let localNames = LocalNameKeeper.Settings(
            hostsFile: hostsFile, blockID: set.id, addressBook: AddressBook(runtimeDirectory: .standard(), manifests: set),
            installCommand: HostsCommand.command("--install", files: manifest.files, hostsFile: hostsFile),
            uninstallCommand: HostsCommand.command("--uninstall", files: manifest.files, hostsFile: hostsFile))
        let daemon = Daemon(configuration: DaemonConfiguration(
            source: .files(manifests: manifest.paths(), envFiles: manifest.envFiles),
            kubeconfig: kubeconfig, context: context,
            logger: Foreground.logger(level: live ? .warning : .info), localNames: localNames, metrics: registry))
        // Where the dashboard and /metrics listen, under the live table as `berth status` shows them above its own.
        let serverLines = ServerLines()
        // On a terminal: clear the screen and redraw the whole status, as berth status shows it (transport,
        // sessions, connections), on every change and every second; the table is small.
        let liveTable = ClosureService {
            guard live else { return }
            for await status in daemon.liveStatusChanges() {
                let screen = "\u{1B}[H\u{1B}[2J" + StatusTable.render(status) + "\n" + serverLines.text
                FileHandle.standardOutput.write(Data(screen.utf8))
            }
        }
        // More Services beside the daemon: /metrics (docs/metrics.md) and the dashboard (docs/dashboard.md).
        let host = DaemonHost(daemon: daemon, logger: daemon.configuration.logger)
        let services: [any Service] = [liveTable] + WebServers.services(
            metrics: try web.metricsAddress, ui: try web.uiAddress, source: host, registry: registry,
            logger: daemon.configuration.logger,
            onMetrics: { url in
                await host.publishMetrics(url)
                serverLines.set(metrics: "metrics: \(url)\n")
            }
        ) { link in
            await host.publishDashboard(link)
            let line = "dashboard: \(link.urlWithToken)\n"
            serverLines.set(dashboard: line)
            FileHandle.standardError.write(Data(line.utf8))
        }
        do {
            try await host.run(alongside: services, stopOnSignals: true)
        } catch BerthDaemonError.manifestInvalid(let errors) {
            FileHandle.standardError.write(Data((errors.description + "\n").utf8))
            throw (errors.isReadFailure ? ExitStatus.usage : ExitStatus.invalid).exitCode
        }
    }

    /// A second daemon that would listen on a port a running one holds would fight it for the port: refuse,
    /// naming the running daemon. (A daemon of these very files is refused by its lock, a moment later.)
    private func refusePortsInUse(by set: ManifestSet) throws {
        guard case .success(let planned) = ManifestLoader.load(paths: manifest.paths(), envFilePaths: manifest.envFiles, context: context),
              let clash = DaemonDirectory().clashes(with: planned, excluding: set).first else { return }
        let files = clash.daemon.manifests.joined(separator: " + ")
        throw CommandFailure(
            "forward '\(clash.forward)' would listen on \(clash.listen), which berth daemon PID \(clash.daemon.owner.pid) "
                + "(serving \(files)) holds for its forward '\(clash.holder)'; stop it with 'berth down -f \(clash.daemon.manifests[0])' "
                + "or pick another local port")
    }
}

/// The lines under the live table that say where the dashboard and /metrics listen, set as each starts.
private final class ServerLines: Sendable {
    private let lines = Mutex((dashboard: "", metrics: ""))

    /// Sets the dashboard's line (with its newline).
    func set(dashboard line: String) { lines.withLock { $0.dashboard = line } }

    /// Sets the metrics line (with its newline).
    func set(metrics line: String) { lines.withLock { $0.metrics = line } }

    /// The dashboard's line, then the metrics line; empty when neither listens.
    var text: String { lines.withLock { $0.dashboard + $0.metrics } }
}
