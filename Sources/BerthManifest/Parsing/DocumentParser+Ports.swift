import Yams

/// The `ports:` list. Each entry is a number (`9000` = 9000:9000), a string `LOCAL:REMOTE[/PROTOCOL]`
/// (REMOTE a number or a port name; `:REMOTE` means local 0), or a mapping `{local, remote, protocol}`.
extension DocumentParser {
    mutating func ports(_ node: Node, _ path: String) -> Located<[Located<PortMapping>]>? {
        guard let items = reader.sequence(node, path, what: "ports") else { return nil }
        guard !items.isEmpty else {
            reader.fail(.invalidValue, node, path, "ports must list at least one port, e.g. ports: [\"8080:80\"]")
            return nil
        }
        var mappings: [Located<PortMapping>] = []
        var valid = true
        for (index, item) in items.enumerated() {
            let itemPath = "\(path)[\(index)]"
            let mapping: PortMapping?
            if case .mapping = item {
                mapping = longForm(item, itemPath)
            } else {
                mapping = shortForm(item, itemPath)
            }
            if let mapping {
                mappings.append(Located(value: mapping, location: reader.location(item, itemPath)))
            } else {
                valid = false
            }
        }
        // A partly broken list is dropped whole, so later checks do not report the missing ports again.
        return valid ? Located(value: mappings, location: reader.location(node, path)) : nil
    }

    private mutating func shortForm(_ node: Node, _ path: String) -> PortMapping? {
        guard let scalar = reader.scalar(node, path, what: "a port (8080, \"8080:80\", \"8080:http\" or {local, remote})") else { return nil }
        if scalar.typedByText, ScalarType(plainText: scalar.text) == .integer, let number = Int(scalar.text) {
            guard let remote = remoteNumber(number, node, path) else { return nil }
            return PortMapping(local: remote, remote: .number(remote))
        }
        return checked(PortSyntax.mapping(scalar.text), node, path)
    }

    private mutating func longForm(_ node: Node, _ path: String) -> PortMapping? {
        guard let entries = reader.mapping(node, path, fields: FieldNames.port, what: "a port") else { return nil }
        var local: Int?
        var remote: RemotePort?
        var proto = PortProtocol.tcp
        var valid = true
        for (key, _, value) in entries {
            let fieldPath = "\(path).\(key)"
            switch key {
            case "local":
                local = reader.integer(value, fieldPath, what: "a local port number").flatMap { localNumber($0.value, value, fieldPath) }
                valid = valid && local != nil
            case "remote":
                remote = remoteField(value, fieldPath)
                valid = valid && remote != nil
            case "protocol":
                if let text = reader.string(value, fieldPath, what: "a protocol"), let parsed = portProtocol(text.value, value, fieldPath) {
                    proto = parsed
                } else {
                    valid = false
                }
            default: break
            }
        }
        guard valid else { return nil }
        guard let remote else {
            reader.fail(.missingField, node, path, "missing field 'remote'; e.g. {local: 8080, remote: 80}")
            return nil
        }
        switch (local, remote) {
        case (let local?, _): return PortMapping(local: local, remote: remote, protocol: proto)
        case (nil, .number(let number)): return PortMapping(local: number, remote: remote, protocol: proto)
        case (nil, .name(let name)):
            reader.fail(.missingField, node, path, "missing field 'local': a named remote port needs one, e.g. {local: 8080, remote: \(name)}, or local: 0 for any free port")
            return nil
        }
    }

    private mutating func remoteField(_ node: Node, _ path: String) -> RemotePort? {
        guard let scalar = reader.scalar(node, path, what: "a remote port number or name") else { return nil }
        if scalar.typedByText, ScalarType(plainText: scalar.text) == .integer, let number = Int(scalar.text) {
            return remoteNumber(number, node, path).map(RemotePort.number)
        }
        if !scalar.typedByText, scalar.text.allSatisfy(\.isASCIIDigit), !scalar.text.isEmpty {
            reader.fail(.typeMismatch, node, path, "remote port \"\(scalar.text)\" is quoted; write the number without quotes")
            return nil
        }
        return remote(scalar.text, node, path)
    }

    private mutating func remote(_ text: String, _ node: Node, _ path: String) -> RemotePort? {
        checked(PortSyntax.remote(text), node, path)
    }

    private mutating func localNumber(_ number: Int, _ node: Node, _ path: String) -> Int? {
        checked(PortSyntax.localNumber(number), node, path)
    }

    private mutating func remoteNumber(_ number: Int, _ node: Node, _ path: String) -> Int? {
        checked(PortSyntax.remoteNumber(number), node, path)
    }

    private mutating func portProtocol(_ text: String, _ node: Node, _ path: String) -> PortProtocol? {
        checked(PortSyntax.portProtocol(text), node, path)
    }

    /// The parsed value, or nil after reporting the failure at `node`.
    private mutating func checked<Value>(_ result: Result<Value, PortSyntax.Failure>, _ node: Node, _ path: String) -> Value? {
        switch result {
        case .success(let value): return value
        case .failure(let failure):
            reader.fail(failure.kind, node, path, failure.message)
            return nil
        }
    }
}
