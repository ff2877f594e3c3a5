/// Duration strings as Go and kubectl write them: `500ms`, `10s`, `2m`, `1h`, `1m30s`; `0` alone.
enum DurationSyntax {
    /// The text users see in errors.
    static let explanation = "a duration such as 500ms, 10s, 2m or 1m30s (units ms, s, m, h)"

    /// Parses `text`, or returns `nil` when it is not a duration.
    static func parse(_ text: String) -> Duration? {
        if text == "0" { return .zero }
        var total = Duration.zero
        var rest = Substring(text)
        guard !rest.isEmpty else { return nil }
        while !rest.isEmpty {
            let digits = rest.prefix(while: \.isASCIIDigit)
            guard !digits.isEmpty, digits.count <= 9, let value = Int64(digits) else { return nil }
            rest = rest.dropFirst(digits.count)
            let unit = rest.prefix(while: { !$0.isASCIIDigit })
            rest = rest.dropFirst(unit.count)
            switch unit {
            case "ms": total += .milliseconds(value)
            case "s": total += .seconds(value)
            case "m": total += .seconds(value * 60)
            case "h": total += .seconds(value * 3600)
            default: return nil
            }
        }
        return total
    }

    /// Formats a duration back in the manifest's syntax, e.g. for `berth validate` summaries.
    static func format(_ duration: Duration) -> String {
        let milliseconds = duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
        if milliseconds == 0 { return "0s" }
        if milliseconds % 1000 != 0 { return "\(milliseconds)ms" }
        let seconds = milliseconds / 1000
        var parts = ""
        if seconds >= 3600 { parts += "\(seconds / 3600)h" }
        if seconds % 3600 >= 60 { parts += "\(seconds % 3600 / 60)m" }
        if seconds % 60 != 0 { parts += "\(seconds % 60)s" }
        return parts
    }
}
