import Dispatch
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// One run of an exec plugin's process, on a blocking thread (docs/kubeconfig.md, "Exec credential plugins"): its
/// stdout collected up to a limit, its stderr passed through to berth's and its last line kept for the error, and a
/// deadline after which the plugin and every process it started are killed. berth is a daemon: a plugin that waits
/// forever (a browser login nobody completes, a hung network call) must not stall every request of its cluster.
struct ExecPluginProcess {
    enum Outcome: Sendable {
        /// `signal` is set when the plugin was killed by a signal instead of exiting.
        case exited(status: Int32, signal: Int32?, output: [UInt8], lastErrorLine: String?)
        case couldNotStart(String)
        case outputTooLarge
        case timedOut
    }

    /// How much of the plugin's stderr is kept for the error message; the rest only passes through.
    static let stderrTailLimit = 4096

    var executable: String
    var arguments: [String]
    var environment: [String: String]
    /// An interactive plugin keeps berth's stdin and stderr (its prompts go to the terminal).
    var interactive: Bool
    var outputLimit: Int
    var timeout: Duration

    /// Blocks until the plugin exits, its output passes the limit, or the deadline passes.
    func run() -> Outcome {
        let deadline = ContinuousClock.now + timeout
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = environment
        process.standardInput = interactive ? FileHandle.standardInput : FileHandle.nullDevice
        let stdout = Pipe()
        process.standardOutput = stdout
        let stderr: Pipe? = interactive ? nil : Pipe()
        process.standardError = stderr ?? FileHandle.standardError
        let exited = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in exited.signal() }
        do {
            try process.run()
        } catch {
            return .couldNotStart(error.localizedDescription)
        }
        let pid = process.processIdentifier

        var output: [UInt8] = []
        var errorTail: [UInt8] = []
        let outputFD = stdout.fileHandleForReading.fileDescriptor
        var open = [outputFD] + (stderr.map { [$0.fileHandleForReading.fileDescriptor] } ?? [])
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while !open.isEmpty {
            let left = Self.milliseconds(until: deadline)
            if left == 0 { return Self.kill(pid, waitingOn: exited, outcome: .timedOut) }
            var polled = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            let ready = poll(&polled, nfds_t(polled.count), left)
            if ready < 0 && errno != EINTR { break }
            for entry in polled where entry.revents != 0 {
                let count = read(entry.fd, &buffer, buffer.count)
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else {
                    open.removeAll { $0 == entry.fd }
                    continue
                }
                let chunk = buffer[..<count]
                if entry.fd == outputFD {
                    output += chunk
                    if output.count > outputLimit { return Self.kill(pid, waitingOn: exited, outcome: .outputTooLarge) }
                } else {
                    // Shown to the user as it comes, as kubectl does; the tail names the failure.
                    chunk.withUnsafeBytes { _ = write(STDERR_FILENO, $0.baseAddress, $0.count) }
                    errorTail += chunk
                    if errorTail.count > Self.stderrTailLimit { errorTail.removeFirst(errorTail.count - Self.stderrTailLimit) }
                }
            }
        }
        // Both streams closed; a plugin may still linger (it closed them, or handed them to nobody).
        let left = Self.milliseconds(until: deadline)
        if exited.wait(timeout: .now() + .milliseconds(Int(left))) == .timedOut {
            return Self.kill(pid, waitingOn: exited, outcome: .timedOut)
        }
        let signal = process.terminationReason == .uncaughtSignal ? process.terminationStatus : nil
        return .exited(status: process.terminationStatus, signal: signal, output: output, lastErrorLine: Self.lastLine(errorTail))
    }

    /// Kills the plugin's process group (Foundation starts each child as the leader of its own group, so this reaches
    /// what the plugin started too) and the plugin itself, then reaps it.
    private static func kill(_ pid: pid_t, waitingOn exited: DispatchSemaphore, outcome: Outcome) -> Outcome {
        _ = killpg(pid, SIGKILL)
        _ = Glibc.kill(pid, SIGKILL)
        exited.wait()
        return outcome
    }

    private static func milliseconds(until deadline: ContinuousClock.Instant) -> Int32 {
        let left = ContinuousClock.now.duration(to: deadline)
        guard left > .zero else { return 0 }
        let (seconds, attoseconds) = left.components
        return Int32(clamping: seconds * 1000 + attoseconds / 1_000_000_000_000_000 + 1)
    }

    /// The last non-empty line of the plugin's stderr, trimmed and cut to a length fit for one error line.
    static func lastLine(_ bytes: [UInt8]) -> String? {
        let text = String(decoding: bytes, as: UTF8.self)
        let line = text.split(whereSeparator: \.isNewline).last { !$0.allSatisfy(\.isWhitespace) }
        guard let line else { return nil }
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        return trimmed.count > 300 ? String(trimmed.prefix(300)) + "…" : trimmed
    }
}
