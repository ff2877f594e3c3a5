/// Reads dotenv files: `KEY=VALUE` lines, `#` comments, an optional `export ` prefix,
/// and single- or double-quoted values. Values are taken literally (no `${}` inside them).
enum DotEnv {
    /// The variables of one file, later lines winning, or every malformed line.
    static func parse(_ file: EnvFile) -> Result<[String: String], ManifestErrors> {
        var variables: [String: String] = [:]
        var errors: [ManifestError] = []
        for (offset, rawLine) in file.contents.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine
            switch parseLine(line) {
            case .none:
                continue
            case .some(.success(let (key, value))):
                variables[key] = value
            case .some(.failure(let problem)):
                errors.append(ManifestError(.envFileSyntax, file: file.path, line: offset + 1,
                                            column: problem.column, path: problem.key, message: problem.message))
            }
        }
        return errors.isEmpty ? .success(variables) : .failure(ManifestErrors(errors))
    }

    private struct LineProblem: Error {
        var column: Int
        var key: String
        var message: String
    }

    /// `nil` for blank and comment lines.
    private static func parseLine(_ line: Substring) -> Result<(String, String), LineProblem>? {
        var rest = line.drop { $0 == " " || $0 == "\t" }
        if rest.isEmpty || rest.hasPrefix("#") { return nil }
        if rest.hasPrefix("export ") { rest = rest.dropFirst("export ".count).drop { $0 == " " } }
        let keyColumn = line.distance(from: line.startIndex, to: rest.startIndex) + 1
        guard let equals = rest.firstIndex(of: "=") else {
            return .failure(LineProblem(column: keyColumn, key: "", message: "expected KEY=VALUE, found \"\(rest)\""))
        }
        let key = rest[..<equals].trimmingTrailingBlanks()
        guard Substitution.isVariableName(key) else {
            return .failure(LineProblem(column: keyColumn, key: "", message: "'\(key)' is not a valid variable name; use letters, digits and '_', not starting with a digit"))
        }
        let valueText = rest[rest.index(after: equals)...].drop { $0 == " " || $0 == "\t" }
        let valueColumn = line.distance(from: line.startIndex, to: valueText.startIndex) + 1
        switch value(valueText) {
        case .success(let value): return .success((String(key), value))
        case .failure(let problem): return .failure(LineProblem(column: valueColumn, key: String(key), message: problem.message))
        }
    }

    private struct ValueProblem: Error {
        var message: String
    }

    private static func value(_ text: Substring) -> Result<String, ValueProblem> {
        guard let quote = text.first, quote == "\"" || quote == "'" else {
            // Unquoted: a '#' after whitespace starts a comment.
            var end = text.endIndex
            var previous: Character = " "
            for index in text.indices {
                if text[index] == "#", previous == " " || previous == "\t" { end = index; break }
                previous = text[index]
            }
            return .success(String(text[..<end].trimmingTrailingBlanks()))
        }
        var output = ""
        var index = text.index(after: text.startIndex)
        while index < text.endIndex {
            let character = text[index]
            if character == quote {
                let after = text[text.index(after: index)...].drop { $0 == " " || $0 == "\t" }
                guard after.isEmpty || after.hasPrefix("#") else {
                    return .failure(ValueProblem(message: "unexpected text after the closing \(quote)"))
                }
                return .success(output)
            }
            if quote == "\"", character == "\\", text.index(after: index) < text.endIndex {
                index = text.index(after: index)
                switch text[index] {
                case "n": output.append("\n")
                case "t": output.append("\t")
                case "r": output.append("\r")
                default: output.append(text[index])
                }
            } else {
                output.append(character)
            }
            index = text.index(after: index)
        }
        return .failure(ValueProblem(message: "missing closing \(quote)"))
    }
}

extension Substring {
    fileprivate func trimmingTrailingBlanks() -> Substring {
        var result = self
        while let last = result.last, last == " " || last == "\t" { result = result.dropLast() }
        return result
    }
}
