import ArgumentParser
import BerthManifest

/// Parses kubectl-style target and port arguments of `berth forward`.
enum ForwardArguments {
    /// `svc/NAME`, `pod/NAME`, `deploy/NAME`, `sts/NAME` (and kubectl's longer spellings).
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

    /// `LOCAL:REMOTE`, `REMOTE` or `:REMOTE`, by the manifest's own port syntax.
    static func port(_ text: String) throws -> PortMapping {
        switch PortSyntax.mapping(text) {
        case .success(let mapping) where mapping.protocol == .udp:
            throw ValidationError("port \"\(text)\": berth forward carries tcp only; UDP runs through berth's relay pod: put the forward in a manifest and run berth up")
        case .success(let mapping): return mapping
        case .failure(let failure): throw ValidationError("port \"\(text)\": \(failure.message)")
        }
    }
}
