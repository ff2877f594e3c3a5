/// `${VAR}` and `${VAR:-default}` in scalar values; `$$` is a literal dollar.
///
/// A bare `$NAME` is refused rather than passed through: it is almost always a forgotten pair
/// of braces, and silently keeping it would send a literal `$NAME` to the cluster.
enum Substitution {
    /// Why a value could not be expanded.
    enum Problem: Error, Hashable {
        case unset(String)
        case malformed(String)

        var message: String {
            switch self {
            case .unset(let name):
                "variable ${\(name)} is not set and has no default; set it in the environment or an --env-file, or write ${\(name):-default}"
            case .malformed(let reason):
                reason
            }
        }
    }

    /// Whether `text` contains anything substitution would change.
    static func isTemplated(_ text: String) -> Bool { text.contains("$") }

    /// The outcome of expanding one value.
    enum Expansion {
        case expanded(String)
        case failed([Problem])
    }

    /// Expands `text`; on failure returns every problem in it.
    static func expand(_ text: String, variables: [String: String]) -> Expansion {
        var output = ""
        var problems: [Problem] = []
        var index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            guard character == "$" else {
                output.append(character)
                index = text.index(after: index)
                continue
            }
            let next = text.index(after: index)
            guard next < text.endIndex else {
                output.append("$")
                break
            }
            switch text[next] {
            case "$":
                output.append("$")
                index = text.index(after: next)
            case "{":
                let bodyStart = text.index(after: next)
                guard let close = text[bodyStart...].firstIndex(of: "}") else {
                    problems.append(.malformed("unterminated '${' in \"\(text)\"; close it with '}' or write '$$' for a literal dollar"))
                    return .failed(problems)
                }
                let body = text[bodyStart..<close]
                switch reference(body, variables: variables) {
                case .success(let value): output += value
                case .failure(let problem): problems.append(problem)
                }
                index = text.index(after: close)
            case let other where other == "_" || (other.isASCIIAlphanumeric && !other.isASCIIDigit):
                let name = text[next...].prefix { $0 == "_" || $0.isASCIIAlphanumeric }
                problems.append(.malformed("write ${\(name)} to use a variable, or $$\(name) for a literal '$'"))
                index = text.index(next, offsetBy: name.count)
            default:
                output.append("$")
                index = next
            }
        }
        return problems.isEmpty ? .expanded(output) : .failed(problems)
    }

    private static func reference(_ body: Substring, variables: [String: String]) -> Result<String, Problem> {
        let name: Substring
        let fallback: Substring?
        if let separator = body.range(of: ":-") {
            name = body[..<separator.lowerBound]
            fallback = body[separator.upperBound...]
        } else {
            name = body
            fallback = nil
        }
        guard isVariableName(name) else {
            return .failure(.malformed("'${\(body)}' is not a variable reference; names use letters, digits and '_', and a default is written ${NAME:-default}"))
        }
        if let value = variables[String(name)], !(value.isEmpty && fallback != nil) {
            return .success(value)
        }
        if let fallback { return .success(String(fallback)) }
        return .failure(.unset(String(name)))
    }

    /// `[A-Za-z_][A-Za-z0-9_]*`, the names shells and dotenv files accept.
    static func isVariableName(_ name: Substring) -> Bool {
        guard let first = name.first, first == "_" || (first.isASCIIAlphanumeric && !first.isASCIIDigit) else { return false }
        return name.allSatisfy { $0 == "_" || $0.isASCIIAlphanumeric }
    }
}
