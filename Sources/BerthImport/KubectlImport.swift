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
        let targetName: String
        switch Self.target(targetWord) {
        case .success(let parsed): (target, targetName) = parsed
        case .failure(let problem): return ImportResult(notes: ["\(place): \(problem.message); skipped"])
        }
        var ports: [PortMapping] = []
        for word in positional.dropFirst() {
            switch port(word) {
            case .success(let mapping): ports.append(mapping)
            case .failure(let problem): notes.append("\(place): \(problem.message); that port is left out")
            }
        }
        guard !ports.isEmpty else {
            return ImportResult(notes: notes + ["\(place): `\(text)` names no port berth can forward; skipped"])
        }
        let forward = ImportedForward(
            suggestedName: targetName, context: context, namespace: namespace, target: target, ports: ports,
            address: address, origin: origin)
        return ImportResult(forwards: [forward], notes: notes)
    }

    /// Why a target or port word cannot be imported.
    struct Problem: Error {
        var message: String
    }

    /// kubectl's `TYPE/NAME` (or a bare pod name) as a berth target and the name it suggests.
    static func target(_ word: String) -> Result<(ForwardTarget, String), Problem> {
        let parts = word.split(separator: "/", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { return word.isEmpty ? .failure(Problem(message: "empty target")) : .success((.pod(word), word)) }
        let (type, name) = (parts[0].lowercased(), parts[1])
        switch type.split(separator: ".").first.map(String.init) ?? type {
        case "svc", "service", "services": return .success((.service(name), name))
        case "pod", "pods", "po": return .success((.pod(name), name))
        case "deploy", "deployment", "deployments": return .success((.deployment(name), name))
        case "sts", "statefulset", "statefulsets": return .success((.statefulSet(name), name))
        default:
            return .failure(Problem(message: "target \(word): berth forwards to services, pods, deployments and statefulsets, not \(type)"))
        }
    }

    /// kubectl's `[LOCAL]:REMOTE` or `REMOTE`; a missing local port becomes 0 (a free port, as kubectl picks one).
    static func port(_ word: String) -> Result<PortMapping, Problem> {
        let parts = word.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let remoteText = parts.last ?? ""
        let remote: RemotePort
        if let number = Int(remoteText) {
            guard (1...65535).contains(number) else { return .failure(Problem(message: "remote port \(number) is not in 1-65535")) }
            remote = .number(number)
        } else if !remoteText.isEmpty, !remoteText.contains("$") {
            remote = .name(remoteText)
        } else {
            return .failure(Problem(message: "port \(word) names no remote port berth can read"))
        }
        guard parts.count == 2 else {
            if case .number(let number) = remote { return .success(PortMapping(local: number, remote: remote)) }
            return .success(PortMapping(local: 0, remote: remote))
        }
        if parts[0].isEmpty { return .success(PortMapping(local: 0, remote: remote)) }
        guard let local = Int(parts[0]), (0...65535).contains(local) else {
            return .failure(Problem(message: "local port \(parts[0]) in \(word) is not a number in 0-65535"))
        }
        return .success(PortMapping(local: local, remote: remote))
    }

    private static func basename(_ path: String) -> String {
        String(path.split(separator: "/").last ?? Substring(path))
    }
}
