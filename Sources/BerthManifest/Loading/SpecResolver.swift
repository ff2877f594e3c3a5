/// Applies defaults to merged forwards and runs the checks that need the whole picture:
/// every forward has a target and ports, and no two enabled listeners collide.
enum SpecResolver {
    /// - Parameter context: the context the user typed; it wins over `defaults.context` (docs/manifest.md).
    static func resolve(_ merged: OverlayMerge.Result, context typed: String? = nil) -> (Manifest, [ManifestError]) {
        let builtIn = ManifestDefaults.builtIn
        let defaults = ManifestDefaults(
            context: merged.defaults.context?.value,
            namespace: merged.defaults.namespace?.value,
            address: merged.defaults.address?.value ?? builtIn.address,
            hold: merged.defaults.hold?.value ?? builtIn.hold,
            warm: merged.defaults.warm?.value ?? builtIn.warm,
            transport: merged.defaults.transport?.value ?? builtIn.transport,
            names: merged.defaults.names?.value ?? builtIn.names,
            clusterDomain: merged.defaults.clusterDomain?.value ?? builtIn.clusterDomain,
            addressRange: merged.defaults.addressRange?.value ?? builtIn.addressRange,
            relayImage: merged.defaults.relayImage?.value ?? builtIn.relayImage
        )
        var errors: [ManifestError] = []
        var specs: [ForwardSpec] = []
        var listeners = ListenerTable()
        var names = NameTable(clusterDomain: defaults.clusterDomain)
        for forward in merged.forwards {
            let name = forward.name.value
            if forward.target == nil, !forward.declaresTarget {
                errors.append(ManifestError(.missingField, at: forward.name.location,
                                            "forward '\(name)' has no target; add one of: \(FieldNames.targets.joined(separator: ", "))"))
            }
            if forward.ports == nil, !forward.declaresPorts {
                errors.append(ManifestError(.missingField, at: forward.name.location,
                                            "forward '\(name)' has no ports; add e.g. ports: [\"8080:80\"]"))
            }
            guard let target = forward.target, let ports = forward.ports else { continue }
            if case .host = target.value {
                // Checked here, not in the parser: an overlay may set the target and leave the ports to the base file.
                for port in ports.value {
                    guard case .name(let portName) = port.value.remote else { continue }
                    errors.append(ManifestError(.invalidValue, at: port.location,
                                                "forward '\(name)' targets a host, which has no named ports; write the port number instead of '\(portName)'"))
                }
            }
            var spec = ForwardSpec(
                name: name,
                context: forward.context?.value ?? typed ?? defaults.context,
                namespace: forward.namespace?.value ?? defaults.namespace,
                target: target.value,
                ports: ports.value.map(\.value),
                address: forward.address?.value ?? defaults.address,
                enabled: forward.enabled?.value ?? true,
                hold: forward.hold?.value ?? defaults.hold,
                warm: forward.warm?.value ?? defaults.warm,
                probe: forward.probe?.value,
                transport: forward.transport?.value ?? defaults.transport,
                names: forward.names?.value ?? defaults.names,
                hostnames: forward.hostnames?.value ?? []
            )
            let addressSet = forward.address ?? merged.defaults.address
            spec.ownAddress = spec.hasLocalNames && addressSet == nil
            if spec.enabled {
                if !spec.ownAddress {
                    errors += listeners.claim(forward: name, address: spec.address, ports: ports.value)
                }
                errors += names.claim(spec, at: forward.hostnames?.location ?? forward.names?.location ?? forward.name.location,
                                      address: addressSet)
            }
            specs.append(spec)
        }
        return (Manifest(forwards: specs, defaults: defaults, origins: merged.origins), errors)
    }
}

/// The (address, port) pairs enabled forwards will listen on, to refuse a second claim.
struct ListenerTable {
    private var claims: [(forward: String, address: ListenAddress, text: String, port: PortMapping, location: SourceLocation)] = []

    mutating func claim(forward: String, address text: String, ports: [Located<PortMapping>]) -> [ManifestError] {
        guard let address = ListenAddress(text) else { return [] }
        var errors: [ManifestError] = []
        for port in ports where port.value.local != 0 {
            let local = port.value.local
            // A TCP and a UDP socket on one port do not collide; the messages say `/udp` when it is UDP.
            let proto = port.value.protocol
            let shown = proto == .udp ? "\(local)/udp" : "\(local)"
            if let holder = claims.first(where: { $0.port.local == local && $0.port.protocol == proto && $0.address.overlaps(address) }) {
                let place = "\(holder.location.file):\(holder.location.line):\(holder.location.column)"
                let message: String
                if holder.forward == forward {
                    message = "local port \(shown) is listed twice in forward '\(forward)'"
                } else if holder.text == text {
                    message = "\(text):\(shown) is already used by forward '\(holder.forward)' at \(place); pick another local port or address, or disable one"
                } else {
                    message = "\(text):\(shown) overlaps \(holder.text):\(shown) of forward '\(holder.forward)' at \(place); pick another local port or address, or disable one"
                }
                errors.append(ManifestError(.portConflict, at: port.location, message))
                continue
            }
            claims.append((forward, address, text, port.value, port.location))
        }
        return errors
    }
}
