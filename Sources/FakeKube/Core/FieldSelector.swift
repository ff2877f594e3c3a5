import Foundation

/// A parsed `fieldSelector` query. The fake supports the fields clients use for pods:
/// `metadata.name`, `metadata.namespace` and `status.phase` (the last for pods only).
public struct FieldSelector: Sendable, Hashable {
    /// One `field=value` or `field!=value` requirement.
    public struct Requirement: Sendable, Hashable {
        /// The dotted field path.
        public var field: String
        /// The value compared with.
        public var value: String
        /// Whether the requirement is `!=`.
        public var negated: Bool
    }

    /// The requirements; empty matches everything.
    public var requirements: [Requirement]

    /// Parses `a=b,c!=d`; throws for malformed text and fields the resource does not support.
    public init(parsing text: String, resource: ResourceKind) throws(FakeKubeError) {
        var requirements: [Requirement] = []
        for part in text.split(separator: ",") {
            let term = String(part).trimmingCharacters(in: .whitespaces)
            if term.isEmpty { continue }
            var requirement: Requirement?
            for (op, negated) in [("!=", true), ("==", false), ("=", false)] {
                if let range = term.range(of: op) {
                    requirement = Requirement(
                        field: String(term[..<range.lowerBound]).trimmingCharacters(in: .whitespaces),
                        value: String(term[range.upperBound...]).trimmingCharacters(in: .whitespaces),
                        negated: negated)
                    break
                }
            }
            guard let requirement else {
                throw .badSelector(selector: text, reason: "invalid selector: '\(term)'; can't understand '\(term)'")
            }
            let supported = ["metadata.name", "metadata.namespace"] + (resource == .pods ? ["status.phase"] : [])
            guard supported.contains(requirement.field) else {
                throw .badSelector(
                    selector: text,
                    reason: "field label not supported: \(requirement.field)")
            }
            requirements.append(requirement)
        }
        self.requirements = requirements
    }

    /// Whether `object` satisfies every requirement.
    public func matches(_ object: JSON) -> Bool {
        requirements.allSatisfy { requirement in
            let actual: String
            switch requirement.field {
            case "metadata.name": actual = object["metadata"]?["name"]?.stringValue ?? ""
            case "metadata.namespace": actual = object["metadata"]?["namespace"]?.stringValue ?? ""
            default: actual = object["status"]?["phase"]?.stringValue ?? ""
            }
            return (actual == requirement.value) != requirement.negated
        }
    }
}
