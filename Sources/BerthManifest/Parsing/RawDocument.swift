/// A value with the place it came from, so checks made after merging can still point at the file.
struct Located<Value> {
    var value: Value
    var location: SourceLocation
}

extension Located: Sendable where Value: Sendable {}

/// One file's `defaults:` block; `nil` fields are not set by this file.
struct RawDefaults {
    var context: Located<String>?
    var namespace: Located<String>?
    var address: Located<String>?
    var hold: Located<Duration>?
    var warm: Located<Int>?
    var transport: Located<TransportChoice>?
    var names: Located<Bool>?
    var clusterDomain: Located<String>?
    var addressRange: Located<LoopbackRange>?
    var relayImage: Located<String>?

    /// Field by field, `later` wins where it sets a value.
    func overlaid(by later: RawDefaults) -> RawDefaults {
        RawDefaults(
            context: later.context ?? context,
            namespace: later.namespace ?? namespace,
            address: later.address ?? address,
            hold: later.hold ?? hold,
            warm: later.warm ?? warm,
            transport: later.transport ?? transport,
            names: later.names ?? names,
            clusterDomain: later.clusterDomain ?? clusterDomain,
            addressRange: later.addressRange ?? addressRange,
            relayImage: later.relayImage ?? relayImage
        )
    }
}

/// One forward entry of one file, before merging and defaults; `nil` fields are not set here.
struct RawForward {
    var name: Located<String>
    var context: Located<String>?
    var namespace: Located<String>?
    var target: Located<ForwardTarget>?
    var ports: Located<[Located<PortMapping>]>?
    var address: Located<String>?
    var enabled: Located<Bool>?
    var hold: Located<Duration>?
    var warm: Located<Int>?
    var probe: Located<ProbeSpec>?
    var transport: Located<TransportChoice>?
    var names: Located<Bool>?
    var hostnames: Located<[String]>?
    /// A target or ports key was written, even if its value was rejected; suppresses
    /// "missing target/ports" errors that would only repeat the first one.
    var declaresTarget = false
    var declaresPorts = false

    /// Field by field, `later` wins where it sets a value; `ports` and the target are replaced whole.
    func overlaid(by later: RawForward) -> RawForward {
        var merged = self
        merged.context = later.context ?? context
        merged.namespace = later.namespace ?? namespace
        merged.target = later.target ?? target
        merged.ports = later.ports ?? ports
        merged.address = later.address ?? address
        merged.enabled = later.enabled ?? enabled
        merged.hold = later.hold ?? hold
        merged.warm = later.warm ?? warm
        merged.probe = later.probe ?? probe
        merged.transport = later.transport ?? transport
        merged.names = later.names ?? names
        merged.hostnames = later.hostnames ?? hostnames
        merged.declaresTarget = declaresTarget || later.declaresTarget
        merged.declaresPorts = declaresPorts || later.declaresPorts
        return merged
    }
}

/// One manifest file as parsed.
struct RawDocument {
    var file: String
    var defaults = RawDefaults()
    var forwards: [RawForward] = []
}

/// The fields each mapping accepts, for unknown-field errors and suggestions.
enum FieldNames {
    static let document = ["apiVersion", "kind", "defaults", "forwards"]
    static let defaults = ["context", "namespace", "address", "hold", "warm", "transport", "names", "clusterDomain", "addressRange", "relay"]
    static let relay = ["image"]
    static let targets = ["service", "pod", "deployment", "statefulset", "selector", "host"]
    static let forward = ["name", "context", "namespace"] + targets
        + ["ports", "address", "enabled", "hold", "warm", "probe", "transport", "names", "hostnames"]
    static let port = ["local", "remote", "protocol"]
    static let probe = ["interval"]
}
