/// One Server-Sent Event as `text/event-stream` frames it: an optional `event:` line, one `data:` line per
/// line of data (a newline inside the data cannot end the event), and a blank line.
public struct ServerSentEvent: Sendable, Hashable {
    /// The event's type (`status`); the browser's default, `message`, when nil.
    public var event: String?
    /// The payload.
    public var data: String

    /// An event.
    public init(event: String? = nil, data: String) {
        self.event = event
        self.data = data
    }

    /// The event's bytes on the stream.
    public var framed: String {
        var text = event.map { "event: \(Self.oneLine($0))\n" } ?? ""
        let lines = data.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r" || $0 == "\r\n" })
        for line in lines { text += "data: \(line)\n" }
        return text + "\n"
    }

    /// A comment line: keeps an idle connection open through proxies, ignored by the browser.
    public static let keepAlive = ": keep-alive\n\n"

    private static func oneLine(_ text: String) -> String {
        String(text.filter { $0 != "\n" && $0 != "\r" })
    }
}
