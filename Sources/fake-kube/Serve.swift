import ArgumentParser
import FakeKube
import Foundation
import Logging
import ServiceLifecycle
import UnixSignals

/// `fake-kube serve`: starts the cluster, prints `ready SERVER_URL KUBECONFIG_PATH`, serves until
/// SIGINT or SIGTERM.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve a scenario until SIGINT/SIGTERM.",
        discussion: "When the cluster is ready, prints exactly one line on stdout: ready SERVER_URL KUBECONFIG_PATH")

    @Option(help: "The scenario YAML file (namespaces, deployments, statefulsets, services, pods).")
    var scenario: String

    @Option(name: .customLong("kubeconfig-out"), help: "Where to write the kubeconfig (users admin, admin-token, readonly, forwarder).")
    var kubeconfigOut: String

    @Option(help: "The port on 127.0.0.1 (0 picks a free one).")
    var port: Int = 0

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "warning"

    func run() async throws {
        var logger = Logger(label: "fake-kube") { label in StreamLogHandler.standardError(label: label) }
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .warning
        let loaded: Scenario
        let server: FakeKubeServer
        do {
            loaded = try Scenario.load(path: scenario)
            server = try await FakeKubeServer.start(scenario: loaded, port: port, logger: logger)
            try server.writeKubeconfig(to: kubeconfigOut)
        } catch {
            FileHandle.standardError.write(Data("fake-kube: \(error)\n".utf8))
            throw ExitCode.failure
        }
        // The signals are trapped before the service runs, so a caller may send SIGTERM as soon as it reads "ready".
        let untilSignalled = ClosureService { [kubeconfigOut] in
            FileHandle.standardOutput.write(Data("ready \(server.serverURL) \(kubeconfigOut)\n".utf8))
            try await gracefulShutdown()
        }
        try await ServiceGroup(services: [untilSignalled], gracefulShutdownSignals: [.sigint, .sigterm], logger: logger).run()
        logger.info("stopping")
        await server.shutdown()
    }
}
