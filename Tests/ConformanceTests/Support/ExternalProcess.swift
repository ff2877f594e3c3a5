import Foundation
import Synchronization

/// A child process (kubectl, python3) with its output collected, a deadline, and an isolated HOME.
final class ExternalProcess: Sendable {
    struct Result: Sendable {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    private let process: Process
    private let stdoutPipe = Pipe()
    private let stderrPipe = Pipe()
    private let output = LockedBox<(stdout: [UInt8], stderr: [UInt8])>(([], []))
    private let stdoutLines: AsyncStream<String>
    private let lineContinuation: AsyncStream<String>.Continuation
    /// Yields once when the process exits and once per pipe at end of file.
    private let milestones: AsyncStream<Milestone>
    private let milestoneContinuation: AsyncStream<Milestone>.Continuation

    enum Milestone: Sendable { case exited, stdoutClosed, stderrClosed }

    init(_ executable: String, _ arguments: [String], home: URL, environment extra: [String: String] = [:]) throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["HOME"] = home.path
        environment.removeValue(forKey: "KUBECONFIG")
        for (key, value) in extra { environment[key] = value }
        process.environment = environment
        process.standardOutput = stdoutPipe
        process.standardError = stderrPipe
        process.standardInput = FileHandle.nullDevice
        (stdoutLines, lineContinuation) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .bufferingNewest(10_000))
        (milestones, milestoneContinuation) = AsyncStream.makeStream(of: Milestone.self)
        let milestone = milestoneContinuation
        process.terminationHandler = { _ in milestone.yield(.exited) }
        let continuation = lineContinuation
        let output = self.output
        let pending = LockedBox<[UInt8]>([])
        // Blocking reads on threads of their own: FileHandle.readabilityHandler is crash-prone on Linux.
        let stdoutHandle = stdoutPipe.fileHandleForReading
        let stderrHandle = stderrPipe.fileHandleForReading
        try process.run()
        Thread {
            while true {
                let data = stdoutHandle.availableData
                if data.isEmpty { break }
                output.withLock { $0.stdout += data }
                let lines = pending.withLock { pending -> [String] in
                    pending += data
                    var lines: [String] = []
                    while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                        lines.append(String(decoding: pending[..<newline], as: UTF8.self))
                        pending.removeFirst(newline + 1)
                    }
                    return lines
                }
                for line in lines { continuation.yield(line) }
            }
            continuation.finish()
            milestone.yield(.stdoutClosed)
        }.start()
        Thread {
            while true {
                let data = stderrHandle.availableData
                if data.isEmpty { break }
                output.withLock { $0.stderr += data }
            }
            milestone.yield(.stderrClosed)
        }.start()
    }

    /// Lines of stdout as they arrive.
    var lines: AsyncStream<String> { stdoutLines }

    /// Waits for the process to exit and its output to be read, killing it after `timeout`.
    func wait(timeout: Duration = .seconds(60)) async -> Result {
        let process = self.process
        let milestones = self.milestones
        let exited = await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                var seen = Set<Milestone>()
                for await milestone in milestones {
                    seen.insert(milestone)
                    if seen.count == 3 { return true }
                }
                return false
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
        if !exited && process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        let collected = output.withLock { $0 }
        return Result(
            status: exited ? process.terminationStatus : -1,
            stdout: String(decoding: collected.stdout, as: UTF8.self),
            stderr: String(decoding: collected.stderr, as: UTF8.self))
    }

    /// Ends the process (SIGTERM).
    func terminate() {
        if process.isRunning { process.terminate() }
    }

    /// Runs to completion.
    static func run(
        _ executable: String, _ arguments: [String], home: URL, environment: [String: String] = [:],
        timeout: Duration = .seconds(60)
    ) async throws -> Result {
        try await ExternalProcess(executable, arguments, home: home, environment: environment).wait(timeout: timeout)
    }
}

/// A fresh directory for one test's HOME, kubeconfig and kubectl cache.
func makeScratchDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("fake-kube-conformance-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Splits a stream of concatenated JSON objects (kubectl `-o json --watch` prints one after another).
struct JSONObjectSplitter {
    private var buffer: [UInt8] = []
    private var depth = 0
    private var inString = false
    private var escaped = false

    mutating func feed(_ text: String) -> [String] {
        var objects: [String] = []
        for byte in text.utf8 + [UInt8(ascii: "\n")] {
            if depth == 0 && byte != UInt8(ascii: "{") { continue }
            buffer.append(byte)
            if inString {
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "{"): depth += 1
            case UInt8(ascii: "}"):
                depth -= 1
                if depth == 0 {
                    objects.append(String(decoding: buffer, as: UTF8.self))
                    buffer = []
                }
            default: break
            }
        }
        return objects
    }
}

/// A value behind a lock that closures can capture (a `Mutex` itself cannot be captured).
final class LockedBox<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    init(_ value: Value) { mutex = Mutex(value) }

    func withLock<Result: Sendable>(_ body: (inout Value) -> Result) -> Result {
        mutex.withLock { body(&$0) }
    }
}
