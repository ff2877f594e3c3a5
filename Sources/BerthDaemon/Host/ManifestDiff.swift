/// What the daemon runs against what the files now say: forwards added, removed, and changed field by field.
public struct ManifestDiff: Codable, Sendable, Hashable {
    /// One field whose value differs.
    public struct FieldChange: Codable, Sendable, Hashable {
        /// The field's name (`ports`, `target`, …).
        public var field: String
        /// The value the daemon runs.
        public var running: String
        /// The value in the files.
        public var files: String

        /// Creates a field change.
        public init(field: String, running: String, files: String) {
            self.field = field
            self.running = running
            self.files = files
        }
    }

    /// A forward present on both sides with different fields.
    public struct ChangedForward: Codable, Sendable, Hashable {
        /// The forward's name.
        public var name: String
        /// The fields that differ, in ``ForwardDefinition/fieldOrder``.
        public var fields: [FieldChange]

        /// Creates a changed forward.
        public init(name: String, fields: [FieldChange]) {
            self.name = name
            self.fields = fields
        }
    }

    /// In the files, not run by the daemon.
    public var added: [ForwardDefinition]
    /// Run by the daemon, gone from the files.
    public var removed: [ForwardDefinition]
    /// On both sides, different.
    public var changed: [ChangedForward]

    /// True when the daemon runs exactly what the files say.
    public var isEmpty: Bool { added.isEmpty && removed.isEmpty && changed.isEmpty }

    /// Compares the daemon's forwards with the files' forwards, by name.
    public init(running: [ForwardDefinition], files: [ForwardDefinition]) {
        let runningByName = Dictionary(running.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let filesByName = Dictionary(files.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        added = files.filter { runningByName[$0.name] == nil }
        removed = running.filter { filesByName[$0.name] == nil }
        changed = files.compactMap { new in
            guard let old = runningByName[new.name], old != new else { return nil }
            let names = ForwardDefinition.fieldOrder + Set(old.fields.keys).union(new.fields.keys)
                .subtracting(ForwardDefinition.fieldOrder).sorted()
            let fields = names.compactMap { field -> FieldChange? in
                let before = old.fields[field] ?? "-"
                let after = new.fields[field] ?? "-"
                return before == after ? nil : FieldChange(field: field, running: before, files: after)
            }
            return ChangedForward(name: new.name, fields: fields)
        }
    }

    /// `+ name`, `- name` and `~ name` blocks, as `berth diff` prints them.
    public func render() -> String {
        if isEmpty { return "no differences: the daemon runs what the files say" }
        var lines: [String] = []
        for forward in added {
            lines.append("+ \(forward.name)")
            for field in ForwardDefinition.fieldOrder {
                if let value = forward.fields[field] { lines.append("    \(field): \(value)") }
            }
        }
        for forward in removed {
            lines.append("- \(forward.name)")
        }
        for forward in changed {
            lines.append("~ \(forward.name)")
            for change in forward.fields {
                lines.append("    \(change.field): \(change.running) -> \(change.files)")
            }
        }
        return lines.joined(separator: "\n")
    }
}
