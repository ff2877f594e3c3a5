import BerthManifest

/// A forward's spec flattened to named text fields, so that two processes can compare specs field by field
/// (`berth diff`) without sharing the manifest model's Swift types on the wire.
public struct ForwardDefinition: Codable, Sendable, Hashable {
    /// The fields every definition has, in the order `berth diff` prints them.
    public static let fieldOrder = ["target", "context", "namespace", "ports", "address", "enabled", "hold", "warm", "probe", "transport", "names", "hostnames"]

    /// The forward's name.
    public var name: String
    /// Field name to its value as the manifest would spell it; `-` for unset.
    public var fields: [String: String]

    /// Creates a definition from explicit fields (tests, and decoding).
    public init(name: String, fields: [String: String]) {
        self.name = name
        self.fields = fields
    }

    /// Flattens a spec with its defaults applied.
    public init(_ spec: ForwardSpec) {
        name = spec.name
        fields = [
            "target": spec.target.description,
            "context": spec.context ?? "-",
            "namespace": spec.namespace ?? "-",
            "ports": spec.ports.map(\.description).joined(separator: ", "),
            // The daemon runs the address it gave; the files say only that the forward gets one of its own.
            "address": spec.ownAddress ? "own loopback address" : spec.address,
            "enabled": String(spec.enabled),
            "hold": Self.text(spec.hold),
            "warm": spec.warm.map(String.init) ?? "by transport (6 over SPDY, 1 over WebSocket)",
            "probe": spec.probe.map { "every " + Self.text($0.interval) } ?? "-",
            "transport": spec.transport.rawValue,
            "names": String(spec.names),
            "hostnames": spec.hostnames.isEmpty ? "-" : spec.hostnames.joined(separator: ", "),
        ]
    }

    /// Whole seconds as `30s`, anything finer as `1500ms`: the manifest's own duration syntax.
    static func text(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        if attoseconds == 0 { return "\(seconds)s" }
        return "\(seconds * 1000 + attoseconds / 1_000_000_000_000_000)ms"
    }
}
