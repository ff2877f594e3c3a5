import Foundation

/// A failure a command reports in kubectl's style, one `error: …` line on stderr, before it exits with
/// `status` (docs/cli-daemon.md, "Errors and exit codes").
struct CommandFailure: Error, CustomStringConvertible {
    /// What happened and what to do, without the `error: ` prefix.
    var message: String
    /// The process exit status.
    var status: ExitStatus

    init(_ message: String, status: ExitStatus = .invalid) {
        self.message = message
        self.status = status
    }

    var description: String { "error: \(message)" }
}

/// berth's two output streams: data on stdout, errors and progress on stderr.
enum Console {
    /// Writes `line` and a newline to stdout and flushes, so pipes see it at once.
    static func out(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    /// Writes `line` and a newline to stderr.
    static func err(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    /// `error: MESSAGE` on stderr.
    static func error(_ message: String) {
        err("error: \(message)")
    }
}
