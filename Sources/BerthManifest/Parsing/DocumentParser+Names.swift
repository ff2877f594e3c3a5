import Yams

/// The local-names fields: a forward's `hostnames:` list and the `addressRange` default
/// (docs/manifest.md, "Local names").
extension DocumentParser {
    /// `hostnames: [db.local, postgres.data]`: DNS-1123 subdomains, each listed once.
    mutating func hostnames(_ node: Node, _ path: String) -> Located<[String]>? {
        guard let items = reader.sequence(node, path, what: "hostnames") else { return nil }
        var names: [String] = []
        var valid = true
        for (index, item) in items.enumerated() {
            let itemPath = "\(path)[\(index)]"
            guard let name = name(item, itemPath, rule: .dnsSubdomain, what: "hostname") else {
                valid = false
                continue
            }
            guard !names.contains(name.value) else {
                reader.fail(.duplicateName, item, itemPath, "hostname '\(name.value)' is listed twice")
                valid = false
                continue
            }
            names.append(name.value)
        }
        return valid ? Located(value: names, location: reader.location(node, path)) : nil
    }

    /// `addressRange: 127.64.0.0/16`: where forwards with names get their own loopback address.
    mutating func addressRange(_ node: Node, _ path: String) -> Located<LoopbackRange>? {
        guard let text = reader.string(node, path, what: "an address range") else { return nil }
        switch LoopbackRange.parse(text.value) {
        case .success(let range):
            return Located(value: range, location: text.location)
        case .failure(let problem):
            reader.fail(.invalidValue, node, path, problem.message)
            return nil
        }
    }
}
