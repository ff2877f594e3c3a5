/// The samples of a Prometheus text exposition, so tests can check metrics by value.
///
/// Reads what berth's `/metrics` writes: `# ` comment lines, and `name{label="value",…} number` samples (label
/// values with `\"`, `\\` and `\n` escapes). The process tests check the same text with Python's
/// `prometheus_client` parser, which is the reference.
public struct PrometheusSamples: Sendable {
    /// One sample line.
    public struct Sample: Sendable, Hashable {
        /// The sample's name (`berth_upstream_open_seconds_count` for a histogram's count).
        public var name: String
        /// Its labels.
        public var labels: [String: String]
        /// Its value.
        public var value: Double
    }

    /// Every sample, in the order of the text.
    public let samples: [Sample]

    /// Parses `text`; lines that are not samples are skipped.
    public init(_ text: String) {
        samples = text.split(separator: "\n").compactMap { Self.sample(String($0)) }
    }

    /// The value of the one sample named `name` whose labels include `labels`; nil when there is none, or more
    /// than one.
    public func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        let matching = samples(name, labels)
        return matching.count == 1 ? matching[0].value : nil
    }

    /// Every sample named `name` whose labels include `labels`.
    public func samples(_ name: String, _ labels: [String: String] = [:]) -> [Sample] {
        samples.filter { sample in
            sample.name == name && labels.allSatisfy { sample.labels[$0.key] == $0.value }
        }
    }

    private static func sample(_ line: String) -> Sample? {
        guard !line.hasPrefix("#"), let nameEnd = line.firstIndex(where: { $0 == "{" || $0 == " " }) else { return nil }
        let name = String(line[..<nameEnd])
        var labels: [String: String] = [:]
        var rest = line[nameEnd...]
        if rest.first == "{" {
            rest = rest.dropFirst()
            while let equals = rest.firstIndex(of: "=") {
                let key = String(rest[..<equals]).trimming(",")
                rest = rest[rest.index(after: equals)...]
                guard rest.first == "\"" else { return nil }
                rest = rest.dropFirst()
                var value = ""
                var escaped = false
                while let character = rest.first {
                    rest = rest.dropFirst()
                    if escaped {
                        value.append(character == "n" ? "\n" : character)
                        escaped = false
                    } else if character == "\\" {
                        escaped = true
                    } else if character == "\"" {
                        break
                    } else {
                        value.append(character)
                    }
                }
                labels[key] = value
                if rest.first == "}" { break }
            }
            guard let close = rest.firstIndex(of: "}") else { return nil }
            rest = rest[rest.index(after: close)...]
        }
        let number = rest.split(separator: " ").first.map(String.init) ?? ""
        guard let value = Double(number) ?? (number == "+Inf" ? .infinity : nil) else { return nil }
        return Sample(name: name, labels: labels, value: value)
    }
}

extension String {
    fileprivate func trimming(_ characters: String) -> String {
        var text = Substring(self)
        while let first = text.first, characters.contains(first) { text = text.dropFirst() }
        while let last = text.last, characters.contains(last) { text = text.dropLast() }
        return String(text)
    }
}
