import BerthManifest

/// Writes imported forwards as a berth manifest (docs/import.md): a comment above each forward saying where
/// it came from, names made unique DNS-1123 labels, and a forward whose local port an earlier one already
/// takes written with `enabled: false`, so that the manifest validates as it is.
public struct ManifestWriter: Sendable {
    /// The first comment lines, for example which command made the file.
    public var header: [String]

    /// A writer with these header comment lines.
    public init(header: [String]) {
        self.header = header
    }

    /// The manifest text, and one note for each forward it had to disable.
    public func render(_ forwards: [ImportedForward]) -> (manifest: String, notes: [String]) {
        var lines = header.map { "# " + Self.oneLine($0) }
        lines += ["apiVersion: berth/v1", "kind: Forwards"]
        guard !forwards.isEmpty else { return ((lines + ["forwards: []"]).joined(separator: "\n") + "\n", []) }
        lines.append("forwards:")
        var names = Set<String>()
        // TCP and UDP on one port do not clash (the manifest check says the same).
        var listeners: [(address: ListenAddress, port: Int, protocol: PortProtocol, owner: String)] = []
        var notes: [String] = []
        for forward in forwards {
            let name = Self.uniqueName(forward.suggestedName, taken: &names)
            let address = ListenAddress(forward.address ?? ManifestDefaults.builtIn.address)
            let clash = forward.ports.lazy.compactMap { port in
                listeners.first {
                    port.local != 0 && $0.port == port.local && $0.protocol == port.protocol && address.map($0.address.overlaps) == true
                }
            }.first
            lines.append("  # " + Self.oneLine(forward.origin))
            if let clash {
                let why = "local port \(clash.port) is already taken by '\(clash.owner)' above"
                lines.append("  # disabled: \(why)")
                notes.append("\(name): written with enabled: false, \(why) (\(forward.origin))")
            } else if let address {
                listeners += forward.ports.filter { $0.local != 0 }.map { (address, $0.local, $0.protocol, name) }
            }
            lines.append("  - name: \(name)")
            if let context = forward.context { lines.append("    context: \(Self.scalar(context))") }
            if let namespace = forward.namespace { lines.append("    namespace: \(Self.scalar(namespace))") }
            lines += Self.target(forward.target)
            lines.append("    ports: [" + forward.ports.map { Self.scalar($0.description) }.joined(separator: ", ") + "]")
            if let address = forward.address { lines.append("    address: \(Self.scalar(address))") }
            if clash != nil { lines.append("    enabled: false") }
        }
        return (lines.joined(separator: "\n") + "\n", notes)
    }

    private static func target(_ target: ForwardTarget) -> [String] {
        switch target {
        case .service(let name), .pod(let name), .deployment(let name), .statefulSet(let name), .host(let name):
            return ["    \(target.kind): \(scalar(name))"]
        case .selector(let labels):
            return ["    selector:"] + labels.sorted { $0.key < $1.key }.map { "      \(scalar($0.key)): \(scalar($0.value))" }
        }
    }

    /// `suggested` as a DNS-1123 label (lowercase letters, digits and '-', at most 63), numbered when taken.
    static func uniqueName(_ suggested: String, taken: inout Set<String>) -> String {
        var label = ""
        for character in suggested.lowercased() {
            let keep = character.isASCII && (character.isLetter || character.isNumber)
            if keep {
                label.append(character)
            } else if !label.isEmpty, label.last != "-" {
                label.append("-")
            }
        }
        label = String(label.prefix(57))
        while label.last == "-" { label.removeLast() }
        if label.isEmpty { label = "forward" }
        var name = label
        var number = 2
        while taken.contains(name) {
            name = "\(label)-\(number)"
            number += 1
        }
        taken.insert(name)
        return name
    }

    /// A YAML scalar that reads back as this exact string: plain when that is unambiguous, else double-quoted.
    /// `$` is doubled because berth's loader substitutes `${VAR}` in every value (docs/manifest.md).
    static func scalar(_ value: String) -> String {
        let text = value.replacingOccurrences(of: "$", with: "$$")
        let plainCharacters = text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_./".contains($0)) }
        let special = ["true", "false", "yes", "no", "on", "off", "null", "y", "n"].contains(text.lowercased())
        let numeric = text.first.map { $0.isNumber || $0 == "." || $0 == "-" } ?? true
        if plainCharacters, !special, !numeric { return text }
        var quoted = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": quoted += "\\\""
            case "\\": quoted += "\\\\"
            case "\n": quoted += "\\n"
            case "\t": quoted += "\\t"
            default:
                if scalar.value < 0x20 {
                    quoted += "\\x" + String(scalar.value, radix: 16).leftPadded(to: 2)
                } else {
                    quoted.unicodeScalars.append(scalar)
                }
            }
        }
        return quoted + "\""
    }

    /// A comment must stay on one line.
    static func oneLine(_ text: String) -> String {
        text.split(whereSeparator: \.isNewline).joined(separator: " ")
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}
