import ArgumentParser
import BerthDaemon
import BerthManifest
import Foundation

/// `berth forward`: one forward from the command line, like `kubectl port-forward`, but it survives pod restarts.
struct ForwardCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forward",
        abstract: "Forward local ports to a service, pod, deployment or statefulset, across pod restarts.",
        discussion: """
            TARGET is svc/NAME, pod/NAME, deploy/NAME or sts/NAME. PORT is LOCAL:REMOTE, REMOTE (same local
            port) or :REMOTE (a free local port); REMOTE is a number or a port name.

            Examples:
              berth forward svc/web 8080:80
              berth forward -n shop deploy/api :http 9090:metrics
            """
    )

    @Option(help: ArgumentHelp("kubeconfig context (default: current-context).", valueName: "name"))
    var context: String?

    @Option(help: ArgumentHelp("kubeconfig file (default: $KUBECONFIG, then ~/.kube/config).", valueName: "path"))
    var kubeconfig: String?

    @Option(name: .shortAndLong, help: ArgumentHelp("Namespace of the target (default: the context's).", valueName: "namespace"))
    var namespace: String?

    @Option(help: ArgumentHelp("Local address to listen on.", valueName: "address"))
    var address: String = "127.0.0.1"

    @Option(help: ArgumentHelp("How connections reach the pod through the API server.", valueName: "transport"))
    var transport: TransportChoice = .auto

    @Argument(help: ArgumentHelp("svc/NAME, pod/NAME, deploy/NAME or sts/NAME.", valueName: "target"))
    var target: String

    @Argument(help: ArgumentHelp("LOCAL:REMOTE, REMOTE or :REMOTE; repeat for more ports.", valueName: "port"))
    var ports: [String]

    func validate() throws {
        _ = try ForwardArguments.target(target)
        guard !ports.isEmpty else { throw ValidationError("name at least one PORT, e.g. 8080:80") }
        for port in ports { _ = try ForwardArguments.port(port) }
    }

    func run() async throws {
        let spec = ForwardSpec(
            name: "forward", context: context, namespace: namespace, target: try ForwardArguments.target(target),
            ports: try ports.map(ForwardArguments.port), address: address, transport: transport)
        let daemon = Daemon(configuration: DaemonConfiguration(
            source: .inline(Manifest(forwards: [spec])), kubeconfig: kubeconfig, context: context,
            logger: DaemonRunner.logger(level: .warning)))
        try await DaemonRunner.run(daemon) { changes in
            var announced = false
            for await status in changes {
                guard let forward = status.forwards.first else { continue }
                if !announced, forward.ports.allSatisfy({ $0.localPort != nil }), forward.phase == .ready {
                    announced = true
                    for port in forward.ports {
                        let host = port.address.contains(":") ? "[\(port.address)]" : port.address
                        FileHandle.standardOutput.write(Data("Forwarding from \(host):\(port.localPort ?? 0) -> \(port.remote)\n".utf8))
                    }
                } else if forward.phase != .ready, forward.phase != .pending, let message = forward.message {
                    FileHandle.standardError.write(Data("\(forward.phase.rawValue): \(message)\n".utf8))
                }
            }
        }
    }
}

/// Parses kubectl-style target and port arguments.
enum ForwardArguments {
    static func target(_ text: String) throws -> ForwardTarget {
        let parts = text.split(separator: "/", maxSplits: 1).map(String.init)
        guard parts.count == 2, !parts[1].isEmpty else {
            throw ValidationError("target \"\(text)\" must be TYPE/NAME, e.g. svc/web, pod/web-0, deploy/api, sts/db")
        }
        switch parts[0].lowercased() {
        case "svc", "service", "services": return .service(parts[1])
        case "pod", "po", "pods": return .pod(parts[1])
        case "deploy", "deployment", "deployments": return .deployment(parts[1])
        case "sts", "statefulset", "statefulsets": return .statefulSet(parts[1])
        default:
            throw ValidationError("target type \"\(parts[0])\" is not one of svc, pod, deploy, sts")
        }
    }

    static func port(_ text: String) throws -> PortMapping {
        let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let remoteText = parts.count == 2 ? parts[1] : parts[0]
        let remote: RemotePort
        if let number = Int(remoteText) {
            guard (1...65535).contains(number) else { throw ValidationError("remote port \(number) in \"\(text)\" is not in 1-65535") }
            remote = .number(number)
        } else {
            guard !remoteText.isEmpty else { throw ValidationError("port \"\(text)\" names no remote port") }
            remote = .name(remoteText)
        }
        let local: Int
        if parts.count == 2 {
            if parts[0].isEmpty {
                local = 0
            } else if let number = Int(parts[0]), (0...65535).contains(number) {
                local = number
            } else {
                throw ValidationError("local port \"\(parts[0])\" in \"\(text)\" is not a number in 0-65535")
            }
        } else if case .number(let number) = remote {
            local = number
        } else {
            throw ValidationError("port \"\(text)\": a named remote port needs a local port, e.g. 8080:\(remoteText) or :\(remoteText)")
        }
        return PortMapping(local: local, remote: remote)
    }
}
