/// A label selector as workloads carry it (`matchLabels` + `matchExpressions`).
public struct LabelSelector: Codable, Sendable, Hashable {
    /// `key == value` terms.
    public var matchLabels: [String: String]?
    /// Set-based terms.
    public var matchExpressions: [LabelSelectorRequirement]?

    /// Creates a selector.
    public init(matchLabels: [String: String]? = nil, matchExpressions: [LabelSelectorRequirement]? = nil) {
        self.matchLabels = matchLabels
        self.matchExpressions = matchExpressions
    }

    /// The `labelSelector` query value, e.g. `app=web,tier in (a,b),!legacy`.
    /// Terms are sorted so equal selectors give equal strings (they key shared watches).
    public var queryValue: String {
        var terms = (matchLabels ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        for requirement in matchExpressions ?? [] {
            terms.append(requirement.queryTerm)
        }
        return terms.joined(separator: ",")
    }

    /// Whether no term is present: matches everything (a workload selector is never empty in practice).
    public var isEmpty: Bool { (matchLabels ?? [:]).isEmpty && (matchExpressions ?? []).isEmpty }

    /// Evaluates the selector against an object's labels, as the API server would.
    public func matches(_ labels: [String: String]?) -> Bool {
        let labels = labels ?? [:]
        for (key, value) in matchLabels ?? [:] where labels[key] != value {
            return false
        }
        return (matchExpressions ?? []).allSatisfy { $0.matches(labels) }
    }
}

/// One set-based term: `key In/NotIn/Exists/DoesNotExist values`.
public struct LabelSelectorRequirement: Codable, Sendable, Hashable {
    /// The label key.
    public var key: String
    /// `In`, `NotIn`, `Exists` or `DoesNotExist`.
    public var `operator`: String
    /// The values for `In` and `NotIn`.
    public var values: [String]?

    /// Creates a requirement.
    public init(key: String, operator: String, values: [String]? = nil) {
        self.key = key
        self.operator = `operator`
        self.values = values
    }

    /// The term in label-selector syntax; values sorted for a canonical form.
    public var queryTerm: String {
        let list = (values ?? []).sorted().joined(separator: ",")
        switch `operator` {
        case "In": return "\(key) in (\(list))"
        case "NotIn": return "\(key) notin (\(list))"
        case "DoesNotExist": return "!\(key)"
        default: return key
        }
    }

    /// Evaluates the term; an unknown operator matches nothing, so a typo never widens a selector.
    public func matches(_ labels: [String: String]) -> Bool {
        switch `operator` {
        case "In": return labels[key].map { (values ?? []).contains($0) } ?? false
        case "NotIn": return labels[key].map { !(values ?? []).contains($0) } ?? true
        case "Exists": return labels[key] != nil
        case "DoesNotExist": return labels[key] == nil
        default: return false
        }
    }
}

extension Dictionary where Key == String, Value == String {
    /// An equality selector (a Service's `spec.selector`) as a `labelSelector` query value, keys sorted.
    public var labelSelectorQueryValue: String {
        sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
    }
}
