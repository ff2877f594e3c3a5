import Foundation

/// A parsed `labelSelector` query (equality- and set-based requirements, all of which must hold).
public struct LabelSelector: Sendable, Hashable {
    /// One requirement of a selector.
    public enum Requirement: Sendable, Hashable {
        case equals(String, String)
        case notEquals(String, String)
        case isIn(String, Set<String>)
        case notIn(String, Set<String>)
        case exists(String)
        case doesNotExist(String)
    }

    /// The requirements; empty matches everything.
    public var requirements: [Requirement]

    /// A selector from requirements.
    public init(requirements: [Requirement] = []) { self.requirements = requirements }

    /// Parses the query syntax (`a=b,c!=d,e in (f,g),!h`); throws on malformed text.
    public init(parsing text: String) throws(FakeKubeError) {
        var requirements: [Requirement] = []
        for part in LabelSelector.splitTopLevel(text) {
            let term = part.trimmingCharacters(in: .whitespaces)
            if term.isEmpty { continue }
            requirements.append(try LabelSelector.parseTerm(term, whole: text))
        }
        self.requirements = requirements
    }

    /// An equality selector matching every pair of `labels`.
    public init(matchLabels labels: [String: String]) {
        requirements = labels.sorted { $0.key < $1.key }.map { .equals($0.key, $0.value) }
    }

    /// Whether `labels` satisfy every requirement.
    public func matches(_ labels: [String: String]) -> Bool {
        requirements.allSatisfy { requirement in
            switch requirement {
            case .equals(let key, let value): labels[key] == value
            case .notEquals(let key, let value): labels[key] != value
            case .isIn(let key, let values): labels[key].map(values.contains) ?? false
            case .notIn(let key, let values): !(labels[key].map(values.contains) ?? false)
            case .exists(let key): labels[key] != nil
            case .doesNotExist(let key): labels[key] == nil
            }
        }
    }

    /// The selector as `kubectl` would write it (equality requirements only are produced by the sim).
    public var queryString: String {
        requirements.map { requirement in
            switch requirement {
            case .equals(let key, let value): "\(key)=\(value)"
            case .notEquals(let key, let value): "\(key)!=\(value)"
            case .isIn(let key, let values): "\(key) in (\(values.sorted().joined(separator: ",")))"
            case .notIn(let key, let values): "\(key) notin (\(values.sorted().joined(separator: ",")))"
            case .exists(let key): key
            case .doesNotExist(let key): "!\(key)"
            }
        }.joined(separator: ",")
    }

    private static func splitTopLevel(_ text: String) -> [String] {
        var parts: [String] = []
        var current = ""
        var depth = 0
        for character in text {
            if character == "(" { depth += 1 }
            if character == ")" { depth -= 1 }
            if character == ",", depth == 0 {
                parts.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        parts.append(current)
        return parts
    }

    private static func parseTerm(_ term: String, whole: String) throws(FakeKubeError) -> Requirement {
        let invalid = FakeKubeError.badSelector(selector: whole, reason: "cannot parse requirement \"\(term)\"")
        if term.hasPrefix("!") {
            let key = String(term.dropFirst()).trimmingCharacters(in: .whitespaces)
            guard isValidKey(key) else { throw invalid }
            return .doesNotExist(key)
        }
        for (op, isNot) in [(" notin ", true), (" in ", false)] {
            if let range = term.range(of: op) {
                let key = term[..<range.lowerBound].trimmingCharacters(in: .whitespaces)
                let rest = term[range.upperBound...].trimmingCharacters(in: .whitespaces)
                guard isValidKey(key), rest.hasPrefix("("), rest.hasSuffix(")") else { throw invalid }
                let values = Set(
                    rest.dropFirst().dropLast().split(separator: ",").map {
                        $0.trimmingCharacters(in: .whitespaces)
                    })
                return isNot ? .notIn(key, values) : .isIn(key, values)
            }
        }
        for (op, kind) in [("!=", 0), ("==", 1), ("=", 1)] {
            if let range = term.range(of: op) {
                let key = term[..<range.lowerBound].trimmingCharacters(in: .whitespaces)
                let value = term[range.upperBound...].trimmingCharacters(in: .whitespaces)
                guard isValidKey(key), !value.contains(where: { "=!() ".contains($0) }) else { throw invalid }
                return kind == 0 ? .notEquals(key, value) : .equals(key, value)
            }
        }
        guard isValidKey(term) else { throw invalid }
        return .exists(term)
    }

    private static func isValidKey(_ key: String) -> Bool {
        !key.isEmpty && key.allSatisfy { $0.isLetter || $0.isNumber || "-_./".contains($0) }
    }
}
