import Yams

/// Turns one manifest file into a `RawDocument`, checking every field it can check alone.
///
/// Checks that need the merged view (a target and ports present, ports not clashing) run later,
/// in `SpecResolver`, because an overlay file legitimately holds partial forwards.
struct DocumentParser {
    static let apiVersion = "berth/v1"
    static let kind = "Forwards"

    var reader: NodeReader

    init(file: String, variables: [String: String]) {
        reader = NodeReader(file: file, variables: variables)
    }

    /// Parses `file`; the document is `nil` only when the YAML itself is unusable.
    static func parse(_ file: ManifestFile, variables: [String: String]) -> (RawDocument?, [ManifestError]) {
        let root: Node?
        do {
            root = try Yams.compose(yaml: file.contents)
        } catch let error as YamlError {
            return (nil, [YAMLSyntaxError.error(error, file: file)])
        } catch {
            return (nil, [ManifestError(.yamlSyntax, file: file.path, line: 1, column: 1, path: "", message: "\(error)")])
        }
        var parser = DocumentParser(file: file.path, variables: variables)
        guard let root else {
            parser.reader.fail(.missingField, nil, "", "the file is empty; a manifest starts with 'apiVersion: \(apiVersion)' and 'kind: \(kind)'")
            return (nil, parser.reader.errors)
        }
        let document = parser.document(root)
        return (document, parser.reader.errors)
    }

    private mutating func document(_ root: Node) -> RawDocument? {
        guard let entries = reader.mapping(root, "", fields: FieldNames.document, what: "a manifest", extensions: true) else { return nil }
        var document = RawDocument(file: reader.file)
        var seen: Set<String> = []
        for (key, _, value) in entries {
            seen.insert(key)
            switch key {
            case "apiVersion": expectConstant(value, key, Self.apiVersion)
            case "kind": expectConstant(value, key, Self.kind)
            case "defaults": document.defaults = defaults(value) ?? RawDefaults()
            case "forwards": document.forwards = forwards(value)
            default: break
            }
        }
        for (key, constant) in [("apiVersion", Self.apiVersion), ("kind", Self.kind)] where !seen.contains(key) {
            reader.fail(.missingField, root, "", "missing field '\(key)'; add '\(key): \(constant)'")
        }
        return document
    }

    private mutating func expectConstant(_ node: Node, _ path: String, _ constant: String) {
        guard let value = reader.string(node, path), value.value != constant else { return }
        reader.fail(.unsupported, node, path, "\(path) must be '\(constant)', found '\(value.value)'")
    }

    private mutating func defaults(_ node: Node) -> RawDefaults? {
        guard let entries = reader.mapping(node, "defaults", fields: FieldNames.defaults, what: "defaults") else { return nil }
        var defaults = RawDefaults()
        for (key, _, value) in entries {
            let path = "defaults.\(key)"
            switch key {
            case "context": defaults.context = context(value, path)
            case "namespace": defaults.namespace = name(value, path, rule: .dnsLabel, what: "namespace")
            case "address": defaults.address = address(value, path)
            case "hold": defaults.hold = reader.duration(value, path)
            case "warm": defaults.warm = warm(value, path)
            case "transport": defaults.transport = transport(value, path)
            case "names": defaults.names = reader.boolean(value, path)
            case "clusterDomain": defaults.clusterDomain = name(value, path, rule: .dnsSubdomain, what: "cluster domain")
            case "addressRange": defaults.addressRange = addressRange(value, path)
            case "relay": defaults.relayImage = relay(value, path)
            default: break
            }
        }
        return defaults
    }

    /// `defaults.relay`: `{image: REFERENCE}`, the container image of berth's relay pod (docs/relay.md).
    private mutating func relay(_ node: Node, _ path: String) -> Located<String>? {
        guard let entries = reader.mapping(node, path, fields: FieldNames.relay, what: "relay settings") else { return nil }
        guard let entry = entries.first(where: { $0.key == "image" }) else { return nil }
        let imagePath = "\(path).image"
        guard let image = reader.string(entry.value, imagePath, what: "a container image reference") else { return nil }
        guard ImageReference.accepts(image.value) else {
            reader.fail(.invalidValue, entry.value, imagePath,
                        "'\(image.value)' is not a container image reference; write e.g. \(ManifestDefaults.defaultRelayImage)")
            return nil
        }
        return image
    }

    private mutating func forwards(_ node: Node) -> [RawForward] {
        guard let items = reader.sequence(node, "forwards", what: "forwards") else { return [] }
        var forwards: [RawForward] = []
        var firstUse: [String: SourceLocation] = [:]
        for (index, item) in items.enumerated() {
            guard let forward = forward(item, "forwards[\(index)]") else { continue }
            if let earlier = firstUse[forward.name.value] {
                reader.fail(.duplicateName, at: forward.name.location,
                            "forward name '\(forward.name.value)' is already used on line \(earlier.line); names are unique within a file (a later file overrides by name)")
                continue
            }
            firstUse[forward.name.value] = forward.name.location
            forwards.append(forward)
        }
        return forwards
    }

    // MARK: Shared field types

    mutating func context(_ node: Node, _ path: String) -> Located<String>? {
        guard let value = reader.string(node, path, what: "a kubeconfig context name") else { return nil }
        guard !value.value.isEmpty, !value.value.contains(where: \.isNewline) else {
            reader.fail(.invalidValue, node, path, "context must be a non-empty kubeconfig context name")
            return nil
        }
        return value
    }

    mutating func name(_ node: Node, _ path: String, rule: NameRule, what: String) -> Located<String>? {
        guard let value = reader.string(node, path, what: "a \(what)") else { return nil }
        guard rule.accepts(value.value) else {
            reader.fail(.invalidValue, node, path, "'\(value.value)' is not a valid \(what): it must be \(rule.explanation)")
            return nil
        }
        return value
    }

    mutating func address(_ node: Node, _ path: String) -> Located<String>? {
        guard var value = reader.string(node, path, what: "an IP address") else { return nil }
        guard ListenAddress(value.value) != nil else {
            reader.fail(.invalidValue, node, path, ListenAddressRule.refusal(value.value))
            return nil
        }
        value.value = value.value.lowercased()
        return value
    }

    static let maximumWarm = 16

    mutating func warm(_ node: Node, _ path: String) -> Located<Int>? {
        guard let value = reader.integer(node, path, what: "a number of warm streams") else { return nil }
        guard (0...Self.maximumWarm).contains(value.value) else {
            reader.fail(.invalidValue, node, path, "warm must be between 0 and \(Self.maximumWarm), found \(value.value)")
            return nil
        }
        return value
    }

    mutating func transport(_ node: Node, _ path: String) -> Located<TransportChoice>? {
        let spellings = TransportChoice.spellings
        guard let value = reader.string(node, path, what: "a transport (\(spellings.joined(separator: ", ")))") else { return nil }
        guard let choice = TransportChoice(rawValue: value.value) else {
            var message = "'\(value.value)' is not a transport: use one of \(spellings.joined(separator: ", "))"
            if let close = Suggestion.closest(to: value.value, among: spellings) { message += " (did you mean '\(close)'?)" }
            reader.fail(.invalidValue, node, path, message)
            return nil
        }
        return Located(value: choice, location: value.location)
    }
}
