import BerthManifest
import Foundation

/// `berth import kftray`: kftray's exported configs (a JSON array) as forwards (docs/import.md). Services and
/// pods-by-label become forwards, proxy workloads `host` targets (through berth's relay pod, as kftray's go
/// through kftray-server) and UDP configs `/udp` ports; expose workloads and /etc/hosts names cannot be
/// expressed and are listed as notes.
public enum KftrayImport {
    /// One kftray config, with the fields berth reads or reports; kftray writes snake_case keys.
    struct Config: Decodable {
        var alias: String?
        var service: String?
        var namespace: String?
        var localPort: Int?
        var remotePort: Int?
        var context: String?
        var workloadType: String?
        var `protocol`: String?
        var remoteAddress: String?
        var localAddress: String?
        var autoLoopbackAddress: Bool?
        var domainEnabled: FlexibleBool?
        var kubeconfig: String?
        var target: String?

        enum CodingKeys: String, CodingKey {
            case alias, service, namespace, context, target, kubeconfig
            case localPort = "local_port", remotePort = "remote_port", workloadType = "workload_type"
            case `protocol`, remoteAddress = "remote_address", localAddress = "local_address"
            case autoLoopbackAddress = "auto_loopback_address", domainEnabled = "domain_enabled"
        }
    }

    /// kftray accepts `true` and `"true"` for its flags.
    struct FlexibleBool: Decodable {
        var value: Bool
        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let flag = try? container.decode(Bool.self) {
                value = flag
            } else {
                value = (try container.decode(String.self)) == "true"
            }
        }
    }

    /// Why a file cannot be read as a kftray export.
    public struct FormatError: Error, CustomStringConvertible {
        /// One line naming the file and the problem.
        public var description: String
    }

    /// The forwards of a kftray export; `source` (the file's path) names it in comments and notes.
    public static func parse(_ data: Data, source: String) throws -> ImportResult {
        let configs: [Config]
        do {
            configs = try JSONDecoder().decode([Config].self, from: data)
        } catch let error as DecodingError {
            throw FormatError(description: "\(source): not a kftray export (a JSON array of configs): \(describe(error))")
        }
        var result = ImportResult()
        for (index, config) in configs.enumerated() {
            result.append(forward(config, place: "\(source) entry \(index + 1)"))
        }
        return result
    }

    private static func forward(_ config: Config, place: String) -> ImportResult {
        let label = config.alias.map { "\(place) (\($0))" } ?? place
        let workload = (config.workloadType ?? (config.service == nil ? "" : "service")).lowercased()
        var notes: [String] = []
        let target: ForwardTarget
        switch workload {
        case "service":
            guard let service = config.service, !service.isEmpty else { return skip(label, "a service config without a service name") }
            target = .service(service)
        case "pod":
            guard let text = config.target, let labels = selector(text) else {
                return skip(label, "pod target \(config.target ?? "(none)") is not a list of label=value pairs, the only selectors berth has")
            }
            target = .selector(labels)
        case "proxy":
            // kftray-server in the config's namespace dials remote_address; berth's relay pod there does the same.
            guard let host = config.remoteAddress?.trimmingCharacters(in: .whitespaces), !host.isEmpty else {
                return skip(label, "a proxy config without a remote_address")
            }
            target = .host(host)
        case "expose":
            return skip(label, "kftray expose workloads publish a local port into the cluster; berth forwards the other way only")
        default:
            return skip(label, "workload type \(config.workloadType ?? "(none)") is unknown")
        }
        let portProtocol: PortProtocol
        switch config.protocol?.lowercased() ?? "" {
        case "", "tcp": portProtocol = .tcp
        case "udp": portProtocol = .udp  // through berth's relay pod (docs/relay.md)
        case let other: return skip(label, "protocol \(other): berth carries TCP and UDP")
        }
        guard let remote = config.remotePort else { return skip(label, "no remote_port") }
        let local = config.localPort.flatMap { $0 == 0 ? nil : $0 } ?? remote
        // Held to the manifest's own rules, so that what is printed validates.
        let checked = PortSyntax.localNumber(local).flatMap { local in
            PortSyntax.remoteNumber(remote).map { PortMapping(local: local, remote: .number($0), protocol: portProtocol) }
        }
        let mapping: PortMapping
        switch checked {
        case .success(let checked): mapping = checked
        case .failure(let failure): return skip(label, failure.message)
        }
        if config.domainEnabled?.value == true {
            notes.append("\(label): domain_enabled: berth does not edit /etc/hosts; use 127.0.0.1:\(local)")
        }
        if config.autoLoopbackAddress == true {
            notes.append("\(label): auto_loopback_address: berth listens on the address written (127.0.0.1 unless set)")
        }
        if let kubeconfig = config.kubeconfig, !kubeconfig.isEmpty, kubeconfig != "default" {
            notes.append("\(label): kubeconfig \(kubeconfig) is not per forward in berth; run `berth up --kubeconfig \(kubeconfig)`")
        }
        let address = config.localAddress.flatMap { $0.isEmpty || $0 == "127.0.0.1" ? nil : $0 }
        var origin = "kftray \(label): \(workload) \(workload == "proxy" ? config.remoteAddress ?? "" : config.service ?? config.target ?? "")"
        if let context = config.context { origin += " in context \(context)" }
        let forward = ImportedForward(
            suggestedName: config.alias ?? config.service ?? "pod-\(remote)",
            context: config.context.flatMap { $0.isEmpty ? nil : $0 },
            namespace: config.namespace.flatMap { $0.isEmpty ? nil : $0 },
            target: target, ports: [mapping], address: address,
            origin: origin)
        return ImportResult(forwards: [forward], notes: notes)
    }

    private static func skip(_ label: String, _ why: String) -> ImportResult {
        ImportResult(notes: ["\(label): skipped, \(why)"])
    }

    /// `app=web,tier=front` as labels; nil for set-based or inequality selectors.
    static func selector(_ text: String) -> [String: String]? {
        var labels: [String: String] = [:]
        for pair in text.split(separator: ",") {
            let parts = pair.split(separator: "=", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2 || (parts.count == 3 && parts[1].isEmpty), let key = parts.first, !key.isEmpty,
                  !key.hasSuffix("!"), !key.contains(" ") else { return nil }
            labels[key] = parts.last
        }
        return labels.isEmpty ? nil : labels
    }

    private static func describe(_ error: DecodingError) -> String {
        switch error {
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .keyNotFound(_, let context), .dataCorrupted(let context):
            let path = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return path.isEmpty ? context.debugDescription : "\(path): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }
}
