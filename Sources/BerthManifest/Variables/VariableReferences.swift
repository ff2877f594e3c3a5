extension ManifestLoader {
    /// The names of the variables `text` refers to, `${NAME}` and `${NAME:-default}` alike (`$$` is a literal
    /// dollar). A daemon tells `berth diff` the values of these names in its environment, so that diff loads the
    /// files with the variables the daemon loads them with (docs/cli-daemon.md, "berth diff").
    public static func variableNames(in text: String) -> Set<String> {
        var names: Set<String> = []
        var rest = Substring(text)
        while let dollar = rest.firstIndex(of: "$") {
            let next = rest.index(after: dollar)
            guard next < rest.endIndex else { break }
            guard rest[next] == "{", let close = rest[next...].firstIndex(of: "}") else {
                // `$$` (and a malformed `$NAME`, which the loader reports) refers to nothing.
                rest = rest[rest.index(after: next)...]
                continue
            }
            let body = rest[rest.index(after: next)..<close]
            let name = body.range(of: ":-").map { body[..<$0.lowerBound] } ?? body
            if Substitution.isVariableName(name) { names.insert(String(name)) }
            rest = rest[rest.index(after: close)...]
        }
        return names
    }
}
