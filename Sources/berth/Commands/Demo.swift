import ArgumentParser
import BerthDaemon
import Foundation
import Logging
import ServiceLifecycle

#if canImport(Glibc)
import Glibc
#endif

/// `berth demo`: berth against a fake cluster in this process, while every pod is deleted on a schedule.
struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Try berth without a cluster: forwards that survive every pod being deleted every few seconds.",
        discussion: """
            Starts a fake Kubernetes cluster in this process (examples/demo-cluster.yaml, built in), runs berth on \
            examples/demo-forwards.yaml (built in, written next to a temporary kubeconfig), sends a request \
            through every forwarded port every 50 ms, and deletes every pod that a Deployment or StatefulSet \
            replaces every --kill-every seconds. It prints each rebind as it happens and, on Ctrl-C or after \
            --duration, a summary: requests sent and failed, rebinds, the longest gap between two replies. \
            --ui and --metrics serve the web dashboard and Prometheus metrics of the demo's daemon, as berth up \
            does; their URLs (the dashboard's with its token) join the header.

            Exit codes: 0 the demo ran (failed requests are reported, not judged), 2 usage error, 3 the demo \
            could not start.

            Examples:
              berth demo
              berth demo --duration 30 --kill-every 3 --free-ports
              berth demo --ui 8089       # and the web dashboard (its URL is in the header)
            """
    )

    @Option(help: ArgumentHelp("Stop after this many seconds (default: run until Ctrl-C).", valueName: "seconds"))
    var duration: Double?

    @Option(name: .customLong("kill-every"), help: ArgumentHelp("Delete every replaceable pod this often.", valueName: "seconds"))
    var killEvery: Double = 5

    @Flag(name: .customLong("free-ports"), help: "Listen on free local ports instead of 18080, 18000, 19000 and 15432.")
    var freePorts = false

    @Flag(help: "Print plain lines even on a terminal (no live screen).")
    var plain = false

    @OptionGroup var web: WebServerOptions

    func validate() throws {
        if let duration, !(duration > 0) { throw ValidationError("--duration must be more than 0 seconds") }
        guard killEvery >= 0.5 else { throw ValidationError("--kill-every must be at least 0.5 seconds") }
    }

    func run() async throws {
        let live = !plain && isatty(STDOUT_FILENO) == 1
        let console = DemoConsole(mode: live ? .live : .plain) { text in
            FileHandle.standardOutput.write(Data(text.utf8))
        }
        var logger = Logger(label: "berth.demo") { label in StreamLogHandler.standardError(label: label) }
        logger.logLevel = .error
        let runner = DemoRunner(
            options: .init(duration: duration.map { .milliseconds(Int($0 * 1000)) },
                           killEvery: .milliseconds(Int(killEvery * 1000)), freePorts: freePorts,
                           metrics: try web.metricsAddress, ui: try web.uiAddress),
            console: console, logger: logger, clock: ContinuousClock())

        // Ctrl-C or SIGTERM ends the demo gracefully: it stops sending, and the summary is printed.
        let summary = Outcome<DemoSummary>()
        let demo = ClosureService {
            try await withGracefulShutdownHandler {
                summary.set(try await runner.run())
            } onGracefulShutdown: {
                runner.stop()
            }
        }
        do {
            try await DaemonLifecycle.run(demo, alongside: [], stopOnSignals: true, logger: logger)
        } catch {
            FileHandle.standardError.write(Data("berth demo: \(error)\n".utf8))
            throw ExitCode(3)
        }
        guard let summary = summary.current else { throw ExitCode(3) }
        console.print(summary.render())
    }
}
