import ArgumentParser
import BerthDaemon
import BerthMetrics
import BerthWeb
import Logging
import ServiceLifecycle

/// `--metrics` and `--ui`, shared by `berth up` and `berth demo`: Prometheus metrics (docs/metrics.md) and the
/// web dashboard (docs/dashboard.md), each on `[ADDRESS:]PORT`, loopback unless an address is typed.
struct WebServerOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Serve Prometheus metrics at /metrics on [ADDRESS:]PORT (default address 127.0.0.1).", valueName: "[address:]port"))
    var metrics: String?

    @Option(help: ArgumentHelp(
        "Serve the web dashboard on [ADDRESS:]PORT (default address 127.0.0.1); berth prints its URL with the token.",
        valueName: "[address:]port"))
    var ui: String?

    func validate() throws {
        _ = try metricsAddress
        _ = try uiAddress
    }

    /// Where `/metrics` listens, when asked for.
    var metricsAddress: ListenAddress? {
        get throws { try Self.address(metrics, of: "--metrics") }
    }

    /// Where the dashboard listens, when asked for.
    var uiAddress: ListenAddress? {
        get throws { try Self.address(ui, of: "--ui") }
    }

    private static func address(_ text: String?, of option: String) throws -> ListenAddress? {
        do {
            return try text.map { try ListenAddress(parsing: $0) }
        } catch {
            throw ValidationError("\(option): \(error)")
        }
    }
}

/// The servers `--metrics` and `--ui` ask for, as services to run beside a daemon.
enum WebServers {
    /// - Parameters:
    ///   - onMetrics: told the URL of `/metrics` once it listens.
    ///   - onDashboard: told the page's URL and token once it listens.
    static func services(
        metrics: ListenAddress?, ui: ListenAddress?, source: any DashboardSource, registry: BerthMetrics, logger: Logger,
        onMetrics: @escaping @Sendable (String) async -> Void, onDashboard: @escaping @Sendable (DashboardLink) async -> Void
    ) -> [any Service] {
        var services: [any Service] = []
        if let metrics {
            services.append(MetricsServer(address: metrics, metrics: registry, logger: logger, onListening: onMetrics))
        }
        if let ui {
            services.append(DashboardServer(address: ui, source: source, logger: logger, onListening: onDashboard))
        }
        return services
    }
}
