import ArgumentParser
import BerthManifest

/// Parses kubectl-style target and port arguments of `berth forward`.
enum ForwardArguments {
    /// `svc/NAME`, `deployment.apps/NAME`, a bare pod name: kubectl's target words, by the one parser
    /// `berth import kubectl` uses too.
    static func target(_ text: String) throws -> ForwardTarget {
        switch TargetSyntax.target(text) {
        case .success(let target): return target
        case .failure(let failure): throw ValidationError(failure.message)
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
