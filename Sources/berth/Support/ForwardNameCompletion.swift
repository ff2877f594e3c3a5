import ArgumentParser
import BerthDaemon

/// Completes forward names from the daemon serving the manifest named on the command line being completed
/// (`-f FILE`, `--file FILE`, `--file=FILE`; `forwards.yaml` when none), so that TAB offers what runs now.
/// No daemon, no candidates: completion must never print an error into the user's prompt.
enum ForwardNameCompletion {
    /// For `@Argument(completion:)`.
    static let kind = CompletionKind.custom { words, _, prefix in
        await names(files: files(in: words)).filter { $0.hasPrefix(prefix) }
    }

    /// The manifest files named in the words of the command line.
    static func files(in words: [String]) -> [String] {
        var files: [String] = []
        var index = 0
        while index < words.count {
            let word = words[index]
            if word == "-f" || word == "--file", index + 1 < words.count {
                files.append(words[index + 1])
                index += 1
            } else if word.hasPrefix("--file=") {
                files.append(String(word.dropFirst("--file=".count)))
            } else if word.hasPrefix("-f"), word.count > 2 {
                files.append(String(word.dropFirst(2)))
            }
            index += 1
        }
        return files.isEmpty ? [ManifestOptions.defaultFile] : files
    }

    /// The names of the running daemon's forwards, in its order; none when no daemon serves `files`.
    static func names(files: [String]) async -> [String] {
        guard case .running(_, let client) = DaemonLocator(manifestSet: ManifestSet(paths: files)).locate(),
              let reply = try? await client.status() else { return [] }
        return reply.status.forwards.map(\.name)
    }
}
