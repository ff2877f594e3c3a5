/// The one syntax of a port as text, shared by the manifest's `ports:` strings, `berth forward`'s PORT
/// arguments and `berth import kubectl`'s port words, so all accept and refuse the same things with the same words
/// (docs/manifest.md, "ports"; docs/import.md).
///
/// `LOCAL:REMOTE[/PROTOCOL]`, `REMOTE[/PROTOCOL]` (a number: the same local port) or `:REMOTE` (any free
/// local port); REMOTE is a number 1–65535 or a port name; PROTOCOL is `tcp` (the default) or `udp`.
/// kubectl's words (`Dialect.kubectl`) differ in two ways only: no `/PROTOCOL`, and a lone port name is allowed.
public enum PortSyntax {
    /// Whose port words are read.
    public enum Dialect: Sendable {
        /// berth's own (the manifest, `berth forward`): `/tcp` or `/udp` may follow; a lone port name is refused,
        /// as it says nothing of the local port.
        case berth
        /// `kubectl port-forward`'s: no `/PROTOCOL` (kubectl carries tcp only); a lone port name listens on any
        /// free port, as berth cannot know before it reaches the cluster the number kubectl would listen on.
        case kubectl
    }

    /// Why a port text was refused: the kind of manifest error and a message a user can act on.
    public struct Failure: Error, Hashable, Sendable {
        /// `invalidValue` (kept a field so a refusal can name another kind).
        public var kind: ManifestError.Kind
        /// What is wrong and how to write it.
        public var message: String

        init(_ kind: ManifestError.Kind, _ message: String) {
            self.kind = kind
            self.message = message
        }

        init(_ message: String) {
            self.init(.invalidValue, message)
        }
    }

    /// Parses `text` (`8080:80`, `8080:http`, `:http`, `5432`, `8080:80/tcp`; with `.kubectl`, `http` too).
    public static func mapping(_ text: String, _ dialect: Dialect = .berth) -> Result<PortMapping, Failure> {
        var body = Substring(text)
        var proto = PortProtocol.tcp
        if let slash = body.lastIndex(of: "/") {
            guard dialect == .berth else {
                return .failure(Failure("kubectl port-forward takes no /tcp or /udp suffix (it carries tcp only)"))
            }
            switch portProtocol(String(body[body.index(after: slash)...])) {
            case .success(let parsed): proto = parsed
            case .failure(let failure): return .failure(failure)
            }
            body = body[..<slash]
        }
        let parts = body.split(separator: ":", omittingEmptySubsequences: false)
        switch parts.count {
        case 1 where dialect == .kubectl && !parts[0].allSatisfy(\.isASCIIDigit):
            return remote(String(parts[0])).map { PortMapping(local: 0, remote: $0) }
        case 1:
            guard !parts[0].isEmpty, parts[0].allSatisfy(\.isASCIIDigit), let number = Int(parts[0]) else {
                return .failure(Failure("'\(text)' needs a local port: write LOCAL:\(parts[0]), or 0:\(parts[0]) for any free port"))
            }
            return remoteNumber(number).map { PortMapping(local: $0, remote: .number($0), protocol: proto) }
        case 2:
            let localText = parts[0].isEmpty ? "0" : parts[0]
            guard localText.allSatisfy(\.isASCIIDigit), let local = Int(localText) else {
                return .failure(Failure("local port '\(parts[0])' is not a number; write LOCAL:REMOTE, e.g. 8080:80"))
            }
            return localNumber(local).flatMap { local in
                remote(String(parts[1])).map { PortMapping(local: local, remote: $0, protocol: proto) }
            }
        default:
            return .failure(Failure("'\(text)' is not a port mapping; write LOCAL:REMOTE, e.g. 8080:80 or 8080:http"))
        }
    }

    /// A remote port: digits are a number 1–65535, anything else must be a valid port name.
    public static func remote(_ text: String) -> Result<RemotePort, Failure> {
        if !text.isEmpty, text.allSatisfy(\.isASCIIDigit) {
            guard let number = Int(text) else { return .failure(Failure("remote port \(text) is out of range 1-65535")) }
            return remoteNumber(number).map(RemotePort.number)
        }
        guard NameRule.portName.accepts(text) else {
            if text.isEmpty { return .failure(Failure("no remote port given; write LOCAL:REMOTE, e.g. 8080:80")) }
            return .failure(Failure("'\(text)' is not a valid remote port: use a number 1-65535 or \(NameRule.portName.explanation)"))
        }
        return .success(.name(text))
    }

    /// A local port, 0–65535 (0 picks a free port).
    public static func localNumber(_ number: Int) -> Result<Int, Failure> {
        guard (0...65535).contains(number) else {
            return .failure(Failure("local port \(number) is out of range 0-65535 (0 picks a free port)"))
        }
        return .success(number)
    }

    /// A remote port number, 1–65535.
    public static func remoteNumber(_ number: Int) -> Result<Int, Failure> {
        guard (1...65535).contains(number) else { return .failure(Failure("remote port \(number) is out of range 1-65535")) }
        return .success(number)
    }

    /// `tcp` or `udp` (any case); anything else is unknown.
    public static func portProtocol(_ text: String) -> Result<PortProtocol, Failure> {
        guard let parsed = PortProtocol(rawValue: text.lowercased()) else {
            return .failure(Failure("unknown protocol '\(text)'; use tcp or udp"))
        }
        return .success(parsed)
    }
}
