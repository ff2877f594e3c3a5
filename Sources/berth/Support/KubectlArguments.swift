/// Rewrites the argument forms kubectl users type into the ones the parser reads (docs/cli-forward.md):
/// `-nshop` and `-n=shop` become `-n shop` for every short option that takes a value.
enum KubectlArguments {
    /// Short options that take a value, across every command.
    static let valueOptions: Set<Character> = ["n", "f", "o"]

    /// `arguments` with glued and `=` short-option values split off; everything after `--` is left alone.
    static func normalize(_ arguments: [String]) -> [String] {
        var result: [String] = []
        var index = arguments.startIndex
        while index < arguments.endIndex {
            let argument = arguments[index]
            index += 1
            if argument == "--" {
                result += arguments[(index - 1)...]
                break
            }
            let characters = Array(argument)
            guard characters.count > 2, characters[0] == "-", characters[1] != "-", valueOptions.contains(characters[1]) else {
                result.append(argument)
                continue
            }
            let value = characters[2] == "=" ? String(characters[3...]) : String(characters[2...])
            result += ["-\(characters[1])", value]
        }
        return result
    }
}
