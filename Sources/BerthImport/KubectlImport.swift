import BerthManifest

/// `berth import kubectl`: `kubectl port-forward` command lines, alone or inside a shell script, as forwards
/// with the same context, namespace, target, ports and address (docs/import.md).
public enum KubectlImport {
    /// The forwards of every `kubectl port-forward` command in `text`, which is one command line or a whole
    /// script; `source` names it in comments and notes (a file path, or `argument 2`).
    public static func parse(_ text: String, source: String) -> ImportResult {
        var result = ImportResult()
        var found = false
        for command in ShellCommands.parse(text) {
            guard let verb = command.words.firstIndex(of: "port-forward"),
                  command.words[..<verb].contains(where: { kubectlNames.contains(basename($0)) }) else { continue }
            found = true
            let place = command.line > 1 || source.contains("/") || source.contains(".") ? "\(source):\(command.line)" : source
            result.append(forward(command.words, verb: verb, text: command.text, place: place))
        }
        if !found { result.notes.append("\(source): no kubectl port-forward command found") }
        return result
    }

    /// The names kubectl goes by in scripts (a `k` alias, OpenShift's `oc`).
    static let kubectlNames: Set<String> = ["kubectl", "kubectl.exe", "oc", "k", "kubecolor"]

    /// Flags of kubectl that take a value; every other flag is a switch.
    static let valueFlags: Set<String> = [
        "context", "namespace", "n", "kubeconfig", "address", "pod-running-timeout", "cluster", "user", "server", "s",
        "token", "as", "as-group", "as-uid", "request-timeout", "certificate-authority", "client-certificate",
        "client-key", "tls-server-name", "cache-dir", "v", "vmodule", "log-dir", "log-file", "profile",
        "profile-output", "username", "password",
    ]

    /// Flags that change nothing berth needs to know.
    static let ignoredFlags: Set<String> = [
        "pod-running-timeout", "request-timeout", "v", "vmodule", "log-dir", "log-file", "profile", "profile-output",
        "cache-dir", "help", "h", "warnings-as-errors", "match-server-version", "logtostderr", "alsologtostderr",
    ]

    private static func forward(_ words: [String], verb: Int, text: String, place: String) -> ImportResult {
        var flags: [(name: String, value: String?)] = []
        var positional: [String] = []
        var index = words.firstIndex { kubectlNames.contains(basename($0)) }.map { $0 + 1 } ?? verb
        var flagsEnded = false
        while index < words.count {
            let word = words[index]
            index += 1
            if index - 1 == verb { continue }
            if flagsEnded || !word.hasPrefix("-") || word == "-" {
                positional.append(word)
                continue
            }
            if word == "--" {
                flagsEnded = true
                continue
            }
            var name = String(word.drop { $0 == "-" })
            var value: String?
            if let equals = name.firstIndex(of: "=") {
                value = String(name[name.index(after: equals)...])
                name = String(name[..<equals])
            } else if !word.hasPrefix("--"), name.count > 1, let first = name.first, valueFlags.contains(String(first)) {
                value = String(name.dropFirst())
                name = String(first)
            } else if valueFlags.contains(name), index < words.count {
                value = words[index]
                index += 1
            }
            flags.append((name, value))
        }

        let origin = "kubectl (\(place)): \(text)"
        var notes: [String] = []
        if text.contains("$") {
            notes.append("\(place): shell expansions are copied as written (berth's own are ${VAR}, docs/manifest.md); check that forward")
        }
        var context: String?
        var namespace: String?
        var address: String?
        for (name, value) in flags {
            switch name {
            case "context": context = value
            case "namespace", "n": namespace = value
            case "address":
                let addresses = (value ?? "").split(separator: ",").map(String.init)
                address = addresses.first
                if addresses.count > 1 {
                    notes.append("\(place): --address \(value ?? "") lists several addresses; a berth forward listens on one, \(addresses[0]) is kept")
                }
            case "kubeconfig":
                notes.append("\(place): --kubeconfig \(value ?? "") is not per forward in berth; run `berth up --kubeconfig \(value ?? "")`")
            default:
                if !ignoredFlags.contains(name) {
                    notes.append("\(place): kubectl flag --\(name) has no berth equivalent and is left out")
                }
            }
        }
        guard let targetWord = positional.first else {
            return ImportResult(notes: ["\(place): `\(text)` names no target; skipped"])
        }
        let target: ForwardTarget
        switch TargetSyntax.target(targetWord) {
        case .success(let parsed): target = parsed
        case .failure(let problem): return ImportResult(notes: ["\(place): \(problem.message); skipped"])
        }
        var ports: [PortMapping] = []
        for word in positional.dropFirst() {
            switch PortSyntax.mapping(word, .kubectl) {
            case .success(let mapping): ports.append(mapping)
            case .failure(let problem): notes.append("\(place): port \"\(word)\": \(problem.message); that port is left out")
            }
        }
        guard !ports.isEmpty else {
            return ImportResult(notes: notes + ["\(place): `\(text)` names no port berth can forward; skipped"])
        }
        let forward = ImportedForward(
            suggestedName: target.name ?? targetWord, context: context, namespace: namespace, target: target, ports: ports,
            address: address, origin: origin)
        return ImportResult(forwards: [forward], notes: notes)
    }

    private static func basename(_ path: String) -> String {
        String(path.split(separator: "/").last ?? Substring(path))
    }
}
