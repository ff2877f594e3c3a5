import Foundation

/// What a program run to completion left: its exit status and everything it wrote.
public struct ProgramOutcome: Sendable {
    /// The exit status.
    public var status: Int32
    /// Standard output, as UTF-8.
    public var stdout: String
    /// Standard error, as UTF-8.
    public var stderr: String
}

/// Runs `executable` with `arguments` to completion, reading its output to the end.
public func runProgram(_ executable: String, _ arguments: [String]) throws -> ProgramOutcome {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let stdout = out.fileHandleForReading.readDataToEndOfFile()
    let stderr = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return ProgramOutcome(
        status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
        stderr: String(decoding: stderr, as: UTF8.self))
}
