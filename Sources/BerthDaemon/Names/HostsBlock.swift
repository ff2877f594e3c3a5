/// berth's managed block in a hosts file, as a pure model over the file's bytes (docs/local-names.md).
///
/// The block of one daemon sits between `# BEGIN berth <id>` and `# END berth <id>`. Replacing or removing
/// it keeps every byte outside it: other lines, other tools' blocks, other daemons' blocks, CRLF line ends
/// and a missing final newline. When the file does not end in a newline the block is appended as
/// `<newline># BEGIN …<newline>…# END …` without a final newline, and that leading newline belongs to the
/// block, so removing it gives back the original bytes exactly.
public struct HostsBlock: Hashable, Sendable {
    /// One line of the block: an address and the names that resolve to it.
    public struct Entry: Hashable, Sendable {
        /// The loopback address, e.g. `127.64.12.7`.
        public var address: String
        /// The names, in order.
        public var names: [String]

        /// Creates an entry.
        public init(address: String, names: [String]) {
            self.address = address
            self.names = names
        }
    }

    /// The daemon's id (its manifest set's), which names the block.
    public var id: String
    /// The lines of the block, in order.
    public var entries: [Entry]

    /// Creates a block.
    public init(id: String, entries: [Entry]) {
        self.id = id
        self.entries = entries
    }

    /// `# BEGIN berth <id>`.
    public var beginMarker: String { "# BEGIN berth \(id)" }
    /// `# END berth <id>`.
    public var endMarker: String { "# END berth \(id)" }

    /// The block as lines ending in `lineEnding`, markers included: what a user adds by hand.
    public func render(lineEnding: String = "\n") -> String {
        let lines = [beginMarker] + entries.map { "\($0.address)\t\($0.names.joined(separator: " "))" } + [endMarker]
        return lines.map { $0 + lineEnding }.joined()
    }

    /// Where the block of `id` lies in `bytes`, its leading separator included (see the type's comment);
    /// `nil` when the file has none.
    /// - Throws: a reason when the block begins and never ends (berth will not guess where it stops).
    public static func locate(id: String, in bytes: [UInt8]) throws(HostsBlockProblem) -> Range<Int>? {
        let block = HostsBlock(id: id, entries: [])
        let begin = Array(block.beginMarker.utf8), end = Array(block.endMarker.utf8)
        var start: Int?
        var lineStart = 0
        var lineNumber = 1
        while lineStart < bytes.count {
            let newline = bytes[lineStart...].firstIndex(of: UInt8(ascii: "\n"))
            let lineEnd = newline.map { $0 + 1 } ?? bytes.count
            let content = trimmed(bytes[lineStart..<lineEnd])
            if start == nil, content.elementsEqual(begin) {
                start = lineStart
            } else if let first = start, content.elementsEqual(end) {
                guard newline == nil, first > 0, bytes[first - 1] == UInt8(ascii: "\n") else { return first..<lineEnd }
                // Ends the file without a newline: the newline before BEGIN was put there by berth.
                let separator = first >= 2 && bytes[first - 2] == UInt8(ascii: "\r") ? 2 : 1
                return (first - separator)..<lineEnd
            }
            lineStart = lineEnd
            if start == nil { lineNumber += 1 }
        }
        guard start == nil else {
            throw HostsBlockProblem(message: "line \(lineNumber) begins berth's block ('\(block.beginMarker)') but no '\(block.endMarker)' line follows; fix or remove it")
        }
        return nil
    }

    /// `bytes` with this block in place of the old one (appended when there was none); with no entries the
    /// block is removed. Bytes outside the block are kept as they were.
    public func apply(to bytes: [UInt8]) throws(HostsBlockProblem) -> [UInt8] {
        let range = try Self.locate(id: id, in: bytes) ?? bytes.count..<bytes.count
        let before = bytes[..<range.lowerBound], after = bytes[range.upperBound...]
        guard !entries.isEmpty else { return Array(before + after) }
        let lineEnding = Self.usesCRLF(bytes) ? "\r\n" : "\n"
        var text = render(lineEnding: lineEnding)
        if after.isEmpty, let last = before.last, last != UInt8(ascii: "\n") {
            // No final newline: keep it that way, and let the separator be the block's.
            text = lineEnding + text.dropLast(lineEnding.count)
        }
        return Array(before) + Array(text.utf8) + Array(after)
    }

    /// The entries of the block of `id` in `bytes`; `nil` when there is no block.
    public static func read(id: String, in bytes: [UInt8]) throws(HostsBlockProblem) -> HostsBlock? {
        guard let range = try locate(id: id, in: bytes) else { return nil }
        let lines = bytes[range].split(separator: UInt8(ascii: "\n")).map { String(decoding: trimmed($0), as: UTF8.self) }
        let entries = lines.filter { !$0.isEmpty && !$0.hasPrefix("#") }.compactMap { line -> Entry? in
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard let address = fields.first, fields.count > 1 else { return nil }
            return Entry(address: address, names: Array(fields.dropFirst()))
        }
        return HostsBlock(id: id, entries: entries)
    }

    /// Whether the file's first line ends in CRLF: its new lines follow suit.
    static func usesCRLF(_ bytes: [UInt8]) -> Bool {
        guard let newline = bytes.firstIndex(of: UInt8(ascii: "\n")) else { return false }
        return newline > 0 && bytes[newline - 1] == UInt8(ascii: "\r")
    }

    /// A line without its line end and trailing blanks.
    private static func trimmed(_ line: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var end = line.endIndex
        while end > line.startIndex, [UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: " "), UInt8(ascii: "\t")].contains(line[end - 1]) {
            end -= 1
        }
        return line[line.startIndex..<end]
    }
}

/// Why berth's block in a hosts file cannot be used.
public struct HostsBlockProblem: Error, Hashable, Sendable {
    /// What is wrong and what to do.
    public var message: String
}
