import BerthManifest
import KubeAPI

/// `berth import annotations`: services annotated for kftray's auto-import (`kftray.app/enabled`,
/// `kftray.app/configs`) or for k9s's fast forwards (`k9scli.io/auto-port-forwards`,
/// `k9scli.io/port-forwards`) as forwards (docs/import.md).
public enum AnnotationImport {
    /// kftray imports a service only when this is `"true"`.
    public static let kftrayEnabled = "kftray.app/enabled"
    /// kftray's `ALIAS-LOCALPORT-TARGETPORT[,…]`.
    public static let kftrayConfigs = "kftray.app/configs"
    /// k9s's `[CONTAINER::][LOCAL:]PORT[,…]`, started without a dialog.
    public static let k9sAuto = "k9scli.io/auto-port-forwards"
    /// The same shape, offered as k9s's dialog's default.
    public static let k9sOffered = "k9scli.io/port-forwards"

    /// The forwards the annotations of `services` ask for; `context` is written into each forward when set.
    public static func parse(_ services: [Service], context: String?) -> ImportResult {
        var result = ImportResult()
        for service in services.sorted(by: { ($0.metadata.namespace ?? "", $0.metadata.name ?? "") < ($1.metadata.namespace ?? "", $1.metadata.name ?? "") }) {
            let annotations = service.metadata.annotations ?? [:]
            result.append(kftray(service, annotations, context: context))
            result.append(k9s(service, annotations, context: context))
        }
        return result
    }

    private static func kftray(_ service: Service, _ annotations: [String: String], context: String?) -> ImportResult {
        let name = service.metadata.name ?? ""
        let place = describe(service, context)
        let enabled = annotations[kftrayEnabled]?.lowercased() == "true"
        guard enabled else {
            if annotations[kftrayConfigs] != nil {
                return ImportResult(notes: ["service \(place): has \(kftrayConfigs) but not \(kftrayEnabled): \"true\"; skipped as kftray would"])
            }
            return ImportResult()
        }
        var result = ImportResult()
        guard let configs = annotations[kftrayConfigs], !configs.trimmingCharacters(in: .whitespaces).isEmpty else {
            for port in service.spec?.ports ?? [] where (port.protocol ?? "TCP") == "TCP" {
                result.forwards.append(ImportedForward(
                    suggestedName: name, context: context, namespace: service.metadata.namespace, target: .service(name),
                    ports: [PortMapping(local: port.port, remote: .number(port.port))],
                    origin: "\(kftrayEnabled) on service \(place), port \(port.port)"))
            }
            return result
        }
        for entry in configs.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !entry.isEmpty {
            // The alias may itself contain '-': the last two fields are the ports.
            let fields = entry.split(separator: "-", omittingEmptySubsequences: false).map(String.init)
            guard fields.count >= 3, let number = Int(fields[fields.count - 2]),
                  case .success(let local) = PortSyntax.localNumber(number),
                  case .success(let remote) = PortSyntax.remote(fields[fields.count - 1]) else {
                result.notes.append("service \(place): \(kftrayConfigs) entry \"\(entry)\" is not ALIAS-LOCALPORT-TARGETPORT; skipped")
                continue
            }
            let alias = fields[..<(fields.count - 2)].joined(separator: "-")
            result.forwards.append(ImportedForward(
                suggestedName: alias.isEmpty ? name : alias, context: context, namespace: service.metadata.namespace,
                target: .service(name), ports: [PortMapping(local: local, remote: remote)],
                origin: "\(kftrayConfigs) \"\(entry)\" on service \(place)"))
        }
        return result
    }

    private static func k9s(_ service: Service, _ annotations: [String: String], context: String?) -> ImportResult {
        let name = service.metadata.name ?? ""
        let place = describe(service, context)
        var result = ImportResult()
        var servicePorts: [PortMapping] = []
        var podPorts: [PortMapping] = []
        var written: [String] = []
        for key in [k9sAuto, k9sOffered] {
            guard let value = annotations[key] else { continue }
            written.append("\(key) \"\(value)\"")
            for spec in value.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !spec.isEmpty {
                guard let (local, containerPort) = k9sSpec(spec) else {
                    result.notes.append("service \(place): \(key) entry \"\(spec)\" is not [CONTAINER::][LOCAL:]PORT; skipped")
                    continue
                }
                // k9s names a container port; through the service that is the port whose targetPort it is.
                if let port = service.spec?.ports?.first(where: { $0.effectiveTargetPort == containerPort }) ?? service.port(containerPort) {
                    let mapping = PortMapping(local: local ?? containerPort.intValue ?? port.port, remote: .number(port.port))
                    if !servicePorts.contains(mapping) { servicePorts.append(mapping) }
                } else {
                    let remote: RemotePort = containerPort.intValue.map { .number($0) } ?? .name(containerPort.description)
                    let mapping = PortMapping(local: local ?? containerPort.intValue ?? 0, remote: remote)
                    if !podPorts.contains(mapping) { podPorts.append(mapping) }
                }
            }
        }
        let origin = written.joined(separator: ", ") + " on service \(place)"
        if !servicePorts.isEmpty {
            result.forwards.append(ImportedForward(
                suggestedName: name, context: context, namespace: service.metadata.namespace, target: .service(name),
                ports: servicePorts, origin: origin))
        }
        if !podPorts.isEmpty {
            guard let selector = service.spec?.selector, !selector.isEmpty else {
                result.notes.append("service \(place): k9s ports \(podPorts.map(\.remote.description).joined(separator: ", ")) match no service port and the service selects no pods; skipped")
                return result
            }
            result.forwards.append(ImportedForward(
                suggestedName: name + "-pods", context: context, namespace: service.metadata.namespace, target: .selector(selector),
                ports: podPorts, origin: origin + " (container ports no service port reaches, on the pods the service selects)"))
        }
        return result
    }

    /// k9s's `[CONTAINER::][LOCAL:]PORT`, by kubectl's port words (an empty LOCAL is any free port): the local
    /// port when written, and the container port (number or name).
    static func k9sSpec(_ spec: String) -> (Int?, IntOrString)? {
        var text = Substring(spec)
        if let range = text.range(of: "::") { text = text[range.upperBound...] }
        guard case .success(let mapping) = PortSyntax.mapping(String(text), .kubectl) else { return nil }
        let port: IntOrString = switch mapping.remote {
        case .number(let number): .int(number)
        case .name(let name): .string(name)
        }
        return (text.contains(":") ? mapping.local : nil, port)
    }

    private static func describe(_ service: Service, _ context: String?) -> String {
        let name = "\(service.metadata.namespace ?? "default")/\(service.metadata.name ?? "")"
        return context.map { "\(name) (context \($0))" } ?? name
    }
}
