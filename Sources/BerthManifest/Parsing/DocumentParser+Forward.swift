import Yams

extension DocumentParser {
    /// One `forwards[i]` entry; `nil` when it has no usable name (nothing could merge with it). A forward with
    /// an invalid name still has every other field checked, so one run of `berth validate` reports them all.
    mutating func forward(_ node: Node, _ path: String) -> RawForward? {
        guard let entries = reader.mapping(node, path, fields: FieldNames.forward, what: "a forward") else { return nil }
        guard let nameEntry = entries.first(where: { $0.key == "name" }) else {
            reader.fail(.missingField, node, path, "missing field 'name'; every forward needs a unique name")
            return nil
        }
        let validName = self.name(nameEntry.value, "\(path).name", rule: .dnsLabel, what: "forward name")
        let name = validName ?? Located(value: nameEntry.value.string ?? "", location: reader.location(nameEntry.value, "\(path).name"))
        var forward = RawForward(name: name)
        var targetKey: String?
        for (key, keyNode, value) in entries {
            let fieldPath = "\(path).\(key)"
            switch key {
            case "context": forward.context = context(value, fieldPath)
            case "namespace": forward.namespace = self.name(value, fieldPath, rule: .dnsLabel, what: "namespace")
            case "service", "pod", "deployment", "statefulset", "selector", "host":
                forward.declaresTarget = true
                if let first = targetKey {
                    reader.fail(.invalidValue, keyNode, fieldPath,
                                "a forward has exactly one target, but '\(name.value)' has both '\(first)' and '\(key)'")
                    continue
                }
                targetKey = key
                forward.target = target(key, value, fieldPath)
            case "ports":
                forward.declaresPorts = true
                forward.ports = ports(value, fieldPath)
            case "address": forward.address = address(value, fieldPath)
            case "enabled": forward.enabled = reader.boolean(value, fieldPath)
            case "hold": forward.hold = reader.duration(value, fieldPath)
            case "warm": forward.warm = warm(value, fieldPath)
            case "probe": forward.probe = probe(value, fieldPath)
            case "transport": forward.transport = transport(value, fieldPath)
            case "names": forward.names = reader.boolean(value, fieldPath)
            case "hostnames": forward.hostnames = hostnames(value, fieldPath)
            default: break
            }
        }
        return validName == nil ? nil : forward
    }

    private mutating func target(_ key: String, _ node: Node, _ path: String) -> Located<ForwardTarget>? {
        let location = reader.location(node, path)
        switch key {
        case "service":
            return name(node, path, rule: .dns1035Label, what: "service name").map { Located(value: .service($0.value), location: location) }
        case "pod":
            return name(node, path, rule: .dnsSubdomain, what: "pod name").map { Located(value: .pod($0.value), location: location) }
        case "deployment":
            return name(node, path, rule: .dnsSubdomain, what: "deployment name").map { Located(value: .deployment($0.value), location: location) }
        case "statefulset":
            return name(node, path, rule: .dnsSubdomain, what: "statefulset name").map { Located(value: .statefulSet($0.value), location: location) }
        case "host":
            guard let text = reader.string(node, path, what: "a host name or IP address") else { return nil }
            switch TargetHost.check(text.value) {
            case .success(let host): return Located(value: .host(host), location: location)
            case .failure(let refusal):
                reader.fail(.invalidValue, node, path, refusal.message)
                return nil
            }
        default:
            return selector(node, path).map { Located(value: .selector($0), location: location) }
        }
    }

    private mutating func selector(_ node: Node, _ path: String) -> [String: String]? {
        guard let entries = reader.mapping(node, path, fields: nil, what: "a label selector") else { return nil }
        guard !entries.isEmpty else {
            reader.fail(.invalidValue, node, path, "selector must list at least one label, e.g. {app: api}")
            return nil
        }
        var labels: [String: String] = [:]
        var valid = true
        for (key, keyNode, value) in entries {
            let labelPath = "\(path).\(key)"
            if !NameRule.labelKey.accepts(key) {
                reader.fail(.invalidValue, keyNode, labelPath, "'\(key)' is not a valid label key: it must be \(NameRule.labelKey.explanation)")
                valid = false
            }
            guard let text = reader.string(value, labelPath, what: "a label value") else { valid = false; continue }
            guard NameRule.labelValue.accepts(text.value) else {
                reader.fail(.invalidValue, value, labelPath, "'\(text.value)' is not a valid label value: it must be \(NameRule.labelValue.explanation)")
                valid = false
                continue
            }
            labels[key] = text.value
        }
        return valid ? labels : nil
    }

    /// Probes faster than this would load the API server more than they tell.
    static let minimumProbeInterval = Duration.seconds(1)

    private mutating func probe(_ node: Node, _ path: String) -> Located<ProbeSpec>? {
        guard let entries = reader.mapping(node, path, fields: FieldNames.probe, what: "a probe") else { return nil }
        guard let interval = entries.first(where: { $0.key == "interval" }) else {
            reader.fail(.missingField, node, path, "missing field 'interval'; e.g. probe: {interval: 30s}")
            return nil
        }
        guard let value = reader.duration(interval.value, "\(path).interval") else { return nil }
        guard value.value >= Self.minimumProbeInterval else {
            reader.fail(.invalidValue, at: value.location, "probe interval must be at least 1s, found \(DurationSyntax.format(value.value))")
            return nil
        }
        return Located(value: ProbeSpec(interval: value.value), location: reader.location(node, path))
    }
}
