import Yams

/// Turns a Yams error into one `ManifestError` at a line the file has, in words a user can act on.
enum YAMLSyntaxError {
    /// The error for `error` in `file`.
    ///
    /// libyaml notices an unclosed bracket or quote only at the end of the stream, one line past the last; the
    /// error then points where the unclosed construct began. A tab in the indentation (YAML indents with spaces
    /// only) is said as such, not as libyaml's "character that cannot start any token".
    static func error(_ error: YamlError, file: ManifestFile) -> ManifestError {
        let lines = file.contents.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        switch error {
        case .scanner(let context, let problem, let mark, _),
             .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            if let column = tabColumn(lines, line: mark.line) {
                return ManifestError(.yamlSyntax, file: file.path, line: mark.line, column: column, path: "",
                                     message: "invalid YAML: a tab in the indentation; indent with spaces")
            }
            let detail = context.map { "\(problem) \($0.text)" } ?? problem
            let (line, column) = located(mark, context: context?.mark, lines: lines)
            return ManifestError(.yamlSyntax, file: file.path, line: line, column: column, path: "", message: "invalid YAML: \(detail)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            let names = duplicates.map { "'\($0)'" }.joined(separator: ", ")
            return ManifestError(.yamlSyntax, file: file.path, line: context.mark.line, column: context.mark.column, path: "",
                                 message: "duplicate field \(names) in one mapping; keep one")
        case .reader(let problem, _, _, _):
            return ManifestError(.yamlSyntax, file: file.path, line: 1, column: 1, path: "", message: "invalid YAML: \(problem)")
        default:
            return ManifestError(.yamlSyntax, file: file.path, line: 1, column: 1, path: "", message: "invalid YAML: \(error)")
        }
    }

    /// The 1-based column of a tab in the leading whitespace of 1-based `line`, if it has one.
    private static func tabColumn(_ lines: [String], line: Int) -> Int? {
        guard lines.indices.contains(line - 1) else { return nil }
        let indentation = lines[line - 1].prefix { $0 == " " || $0 == "\t" }
        return indentation.firstIndex(of: "\t").map { indentation.distance(from: indentation.startIndex, to: $0) + 1 }
    }

    /// `mark`, or where the construct began when `mark` lies past the file's last line.
    private static func located(_ mark: Mark, context: Mark?, lines: [String]) -> (line: Int, column: Int) {
        // A file ending in a newline splits into one empty last element: that is not a line of the file.
        let count = lines.last == "" ? lines.count - 1 : lines.count
        guard mark.line > count else { return (mark.line, mark.column) }
        if let context, context.line <= count { return (context.line, context.column) }
        return (max(count, 1), (lines.indices.contains(count - 1) ? lines[count - 1].count : 0) + 1)
    }
}
