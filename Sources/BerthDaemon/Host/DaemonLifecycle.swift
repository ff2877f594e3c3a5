import Logging
import ServiceLifecycle
import UnixSignals

/// The one lifecycle of every long-running berth process (docs/architecture.md, "Lifecycle"): a main
/// `Service` (the daemon) and the services beside it in one `ServiceGroup`.
///
/// - The main service is last in the group, so a graceful shutdown (SIGINT, SIGTERM, `berth down`) stops it
///   first: listeners close and connections drain while the control socket still answers. The services beside
///   it then stop in reverse order, each after the one after it has ended.
/// - When the main service returns (`berth down`, `Daemon.stop()`) or throws, the group shuts down
///   gracefully, and the main service's error is what `run` throws.
/// - A service beside it that returns early (a live table that has nothing to draw) changes nothing; one that
///   throws shuts the group down and its error is thrown.
///
/// Adding a part to a running berth is adding one `Service` to the list the caller passes.
public enum DaemonLifecycle {
    /// The signals that stop a foreground berth gracefully.
    static let stopSignals: [UnixSignal] = [.sigint, .sigterm]

    /// Runs `main` with `services` beside it until `main` ends, a service fails, or (with `stopOnSignals`)
    /// SIGINT or SIGTERM arrives; cancelling the caller cancels them all.
    /// - Throws: the error of the service that failed first.
    public static func run(
        _ main: any Service, alongside services: [any Service], stopOnSignals: Bool, logger: Logger
    ) async throws {
        let beside = services.map { service in
            ServiceGroupConfiguration.ServiceConfiguration(
                service: Beside(service), successTerminationBehavior: .ignore, failureTerminationBehavior: .gracefullyShutdownGroup,
                serviceName: "\(service)")
        }
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: beside + [.init(service: main, successTerminationBehavior: .gracefullyShutdownGroup, failureTerminationBehavior: .gracefullyShutdownGroup)],
            gracefulShutdownSignals: stopOnSignals ? stopSignals : [],
            logger: logger))
        try await group.run()
    }
}

/// A service beside the main one, held until the group shuts it down: the group takes a service that ends on
/// its own while another is shutting down for a failure, and the services beside the daemon often end with it
/// (a status view ends when the status stream does).
private struct Beside: Service {
    let service: any Service

    init(_ service: any Service) {
        self.service = service
    }

    func run() async throws {
        try await service.run()
        // Throws only when cancelled, which ends the group anyway.
        try? await gracefulShutdown()
    }
}

/// A part of a berth process that runs until its group shuts down (the control socket, the state file
/// writer, scheduled probes): graceful shutdown cancels it.
struct UntilShutdown: Service, CustomStringConvertible {
    /// The part's name, in the group's log lines.
    let description: String
    let body: @Sendable () async throws -> Void

    init(_ name: String, _ body: @escaping @Sendable () async throws -> Void) {
        description = name
        self.body = body
    }

    func run() async throws {
        try await cancelWhenGracefulShutdown(body)
    }
}
