import ArgumentParser
import BerthDaemon
import BerthManifest
import Foundation
import ServiceLifecycle

/// `berth forward`: one forward from the command line, like `kubectl port-forward`, but it survives pod restarts.
struct ForwardCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forward",
        abstract: "Forward local ports to a service, pod, deployment or statefulset, across pod restarts.",
        discussion: """
            TARGET is svc/NAME, pod/NAME (or NAME alone), deploy/NAME or sts/NAME, in any of kubectl's \
            spellings (deployment.apps/NAME too). PORT is LOCAL:REMOTE, REMOTE (same local port) or :REMOTE (a \
            free local port); REMOTE is a number or a port name, optionally followed by /tcp.

            A target that does not exist yet is waited for. Errors that waiting cannot fix (the local port is in \
            use, an unusable kubeconfig or context, a bad --address, a port the target does not have, access \
            denied, an API server that cannot be reached at the start) end the command at once.

            Exit codes: 0 stopped by Ctrl-C or SIGTERM, 1 an error that waiting cannot fix, 2 usage error.

            Examples:
              berth forward svc/web 8080:80
              berth forward -n shop deploy/api :http 9090:metrics
              berth forward --address localhost sts/db 5432
            """
    )

    @Option(help: ArgumentHelp("kubeconfig context (default: current-context).", valueName: "name"))
    var context: String?

    @Option(help: ArgumentHelp("kubeconfig file (default: $KUBECONFIG, then ~/.kube/config).", valueName: "path"))
    var kubeconfig: String?

    @Option(name: .shortAndLong, help: ArgumentHelp("Namespace of the target (default: the context's).", valueName: "namespace"))
    var namespace: String?

    @Option(help: ArgumentHelp("Local address to listen on: an IP address, or localhost (127.0.0.1 and ::1).", valueName: "address"))
    var address: String = "127.0.0.1"

    @Option(help: ArgumentHelp("How connections reach the pod through the API server.", valueName: "transport"))
    var transport: TransportChoice = .auto

    @Argument(help: ArgumentHelp("svc/NAME, pod/NAME or NAME, deploy/NAME or sts/NAME.", valueName: "target"))
    var target: String

    @Argument(help: ArgumentHelp("LOCAL:REMOTE, REMOTE or :REMOTE; repeat for more ports.", valueName: "port"))
    var ports: [String]

    func validate() throws {
        _ = try ForwardArguments.target(target)
        guard !ports.isEmpty else { throw ValidationError("name at least one PORT, e.g. 8080:80") }
        for port in ports { _ = try ForwardArguments.port(port) }
    }

    func run() async throws {
        guard let listenAddress = ListenAddressRule.normalized(address) else {
            throw CommandFailure("--address \(ListenAddressRule.refusal(address))")
        }
        // The kubeconfig is read before anything is bound: a wrong path or context cannot get better by waiting.
        if case .failure(let failure) = ClusterCheck.resolve(kubeconfig: kubeconfig, context: context) {
            throw CommandFailure(failure.message)
        }
        let forwardTarget = try ForwardArguments.target(target)
        let spec = ForwardSpec(
            name: target, context: context, namespace: namespace, target: forwardTarget,
            ports: try ports.map(ForwardArguments.port), address: listenAddress, transport: transport)
        // The console says every problem once; the daemon's own log keeps to errors unless BERTH_LOG_LEVEL asks.
        let daemon = Daemon(configuration: DaemonConfiguration(
            source: .inline(Manifest(forwards: [spec])), kubeconfig: kubeconfig, context: context,
            logger: Foreground.logger(level: .error)))
        let fatal = Outcome<String>()
        let console = ForwardConsole(target: forwardTarget) { [kubeconfig, context] namespace in
            await TargetSuggestions.find(for: forwardTarget, namespace: namespace, kubeconfig: kubeconfig, context: context)
        }
        let consoleService = ClosureService {
            var console = console
            for await status in daemon.statusChanges() {
                guard let forward = status.forwards.first else { continue }
                let reaction = await console.react(to: forward)
                reaction.stdout.forEach(Console.out)
                reaction.stderr.forEach(Console.err)
                if let message = reaction.fatal {
                    fatal.set(message)
                    daemon.stop()
                    return
                }
            }
        }
        try await daemon.run(alongside: [consoleService], stopOnSignals: true)
        if let message = fatal.current { throw CommandFailure(message) }
    }
}
