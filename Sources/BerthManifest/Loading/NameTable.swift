/// The local names of enabled forwards, to refuse a name two forwards claim and names that would point
/// at an address other programs on the network could reach (docs/manifest.md, "Local names").
struct NameTable {
    let clusterDomain: String
    private var owners: [String: (forward: String, location: SourceLocation)] = [:]

    init(clusterDomain: String) {
        self.clusterDomain = clusterDomain
    }

    /// Claims the names of `spec`; `address` is the explicit address it listens on, if the manifest sets one.
    mutating func claim(_ spec: ForwardSpec, at location: SourceLocation, address: Located<String>?) -> [ManifestError] {
        // A namespace left to the context is unknown here: the names that include it are checked by the daemon.
        let localNames = spec.localNames(namespace: spec.namespace, clusterDomain: clusterDomain)
        guard !localNames.isEmpty else { return [] }
        var errors: [ManifestError] = []
        if let address, let parsed = ListenAddress(address.value), !parsed.isLoopback {
            errors.append(ManifestError(.invalidValue, at: address.location,
                "forward '\(spec.name)' has local names but listens on \(address.value); names point at a loopback address: remove 'address' to get one of its own, or use 127.x.y.z or ::1"))
        }
        var clashes: [String: [String]] = [:]
        for name in localNames {
            if let owner = owners[name] {
                clashes[owner.forward, default: []].append(name)
            } else {
                owners[name] = (spec.name, location)
            }
        }
        for (owner, clashing) in clashes.sorted(by: { $0.key < $1.key }) {
            guard let place = owners[clashing[0]]?.location else { continue }
            let quoted = clashing.map { "'\($0)'" }.joined(separator: ", ")
            let (what, verb) = clashing.count == 1 ? ("local name", "is already a name") : ("local names", "are already names")
            errors.append(ManifestError(.duplicateName, at: location,
                "\(what) \(quoted) of forward '\(spec.name)' \(verb) of forward '\(owner)' at \(place.file):\(place.line):\(place.column); a name points at one forward"))
        }
        return errors
    }
}
