/// A shell script cut into simple commands and their words, enough to find `kubectl port-forward` lines
/// in a script: quotes, backslashes, line continuations, comments and the separators `;`, `&`, `&&`, `|`,
/// `||`. Expansions (`$VAR`, `$(…)`) are kept as written; berth does not run the script.
struct ShellCommands {
    /// One simple command: its words and the line it starts on (1-based).
    struct Command: Equatable {
        var words: [String]
        var line: Int
        /// The command as written, rebuilt from its words, for comments.
        var text: String
    }

    /// The commands of `script`, in order; an unterminated quote ends the last command at the end of the text.
    static func parse(_ script: String) -> [Command] {
        var commands: [Command] = []
        var words: [String] = []
        var word = ""
        var inWord = false
        var line = 1
        var startLine = 1
        var quote: Character?
        var characters = Array(script)
        characters.append("\n")
        var index = 0

        func endWord() {
            if inWord { words.append(word) }
            word = ""
            inWord = false
        }
        func endCommand() {
            endWord()
            if !words.isEmpty { commands.append(Command(words: words, line: startLine, text: render(words))) }
            words = []
        }

        while index < characters.count {
            let character = characters[index]
            index += 1
            if character == "\n" { line += 1 }
            if let open = quote {
                if character == open {
                    quote = nil
                } else if open == "\"", character == "\\", index < characters.count, "\"\\$`\n".contains(characters[index]) {
                    if characters[index] == "\n" { line += 1 } else { word.append(characters[index]) }
                    index += 1
                } else {
                    word.append(character)
                }
                continue
            }
            switch character {
            case "'", "\"":
                if !inWord, words.isEmpty { startLine = line }
                quote = character
                inWord = true
            case "\\":
                if index < characters.count {
                    if characters[index] == "\n" {
                        line += 1
                    } else {
                        if !inWord, words.isEmpty { startLine = line }
                        word.append(characters[index])
                        inWord = true
                    }
                    index += 1
                }
            case "#" where !inWord:
                while index < characters.count, characters[index] != "\n" { index += 1 }
            case " ", "\t", "\r":
                endWord()
            case "\n", ";", "&", "|", "(", ")":
                endCommand()
            default:
                if !inWord, words.isEmpty { startLine = line }
                word.append(character)
                inWord = true
            }
        }
        endCommand()
        return commands
    }

    /// The words joined by spaces, quoted where a word needs it.
    static func render(_ words: [String]) -> String {
        words.map { word in
            let plain = !word.isEmpty && word.allSatisfy { !" \t\n'\"\\;&|()#*?<>".contains($0) }
            return plain ? word : "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
        }.joined(separator: " ")
    }
}
