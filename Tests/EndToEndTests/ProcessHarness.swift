import BerthTestSupport
import Foundation
import Synchronization
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Real processes for the end-to-end tests: `fake-kube serve` and `berth`, built next to the test bundle,
/// with an isolated HOME and XDG_RUNTIME_DIR in a temporary directory.
struct ProcessWorld {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// The output of a finished command.
    struct Output: Sendable {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    let directory: String
    let kubeconfig: String
    let fakeKube: Spawned
    /// Prefixes every command (`ip netns exec NS` to run inside a network namespace); empty otherwise.
    var launcher: [String] = []

    /// The build directory holding `berth` and `fake-kube` (the test bundle sits in it).
    static let products: String = {
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var directory = URL(fileURLWithPath: executable).deletingLastPathComponent()
        // Some runners place the bundle's executable inside `X.xctest/`; the products sit next to the bundle.
        while !FileManager.default.isExecutableFile(atPath: directory.appendingPathComponent("berth").path), directory.path != "/" {
            directory.deleteLastPathComponent()
        }
        return directory.path
    }()

    var environment: [String: String] {
        [
            "HOME": directory + "/home", "XDG_RUNTIME_DIR": directory + "/run", "PATH": "/usr/local/bin:/usr/bin:/bin",
            "KUBECONFIG": kubeconfig, "LANG": "C.UTF-8",
        ]
    }

    /// Starts `fake-kube serve` on `scenario` (YAML text), waits for its `ready` line, and runs `body`.
    /// Every process of the world starts through `launcher` (none by default).
    static func with(scenario: String, launcher: [String] = [], _ body: (ProcessWorld) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("berth-proc-\(UUID().uuidString.prefix(8))").path
        for sub in ["", "/home", "/run"] {
            try FileManager.default.createDirectory(atPath: directory + sub, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try scenario.write(toFile: directory + "/scenario.yaml", atomically: true, encoding: .utf8)
        let kubeconfig = directory + "/kubeconfig"
        let fake = try Spawned.start(
            launcher + [products + "/fake-kube", "serve", "--scenario", directory + "/scenario.yaml", "--kubeconfig-out", kubeconfig],
            environment: ["HOME": directory + "/home", "PATH": "/usr/bin:/bin"], log: directory + "/fake-kube.log", captureStdout: true)
        defer { fake.stop() }
        guard let ready = await fake.firstLine(within: .seconds(30)), ready.hasPrefix("ready ") else {
            throw Failure(description: "fake-kube did not print its ready line; log:\n\(fake.log())")
        }
        try await body(ProcessWorld(directory: directory, kubeconfig: kubeconfig, fakeKube: fake, launcher: launcher))
    }

    /// Writes `text` to `name` in the test directory and returns its path.
    func write(_ name: String, _ text: String) throws -> String {
        let path = directory + "/" + name
        try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        return path
    }

    /// Starts `berth ARGS` in the background (its output goes to a log file).
    func startBerth(_ arguments: [String], log: String = "berth-up.log") throws -> Spawned {
        try Spawned.start(launcher + [Self.products + "/berth"] + arguments, environment: environment, log: directory + "/" + log, captureStdout: false)
    }

    /// Runs `berth ARGS` to completion.
    func berth(_ arguments: [String]) async throws -> Output {
        try await run([Self.products + "/berth"] + arguments)
    }

    /// Runs any program to completion with this world's environment.
    func run(_ arguments: [String]) async throws -> Output {
        let stdout = directory + "/cmd-\(UUID().uuidString.prefix(8)).out"
        let spawned = try Spawned.start(launcher + arguments, environment: environment, log: stdout + ".err", stdoutFile: stdout)
        let status = await spawned.wait()
        let out = (try? String(contentsOfFile: stdout, encoding: .utf8)) ?? ""
        let err = (try? String(contentsOfFile: stdout + ".err", encoding: .utf8)) ?? ""
        return Output(status: status, stdout: out, stderr: err)
    }

    /// `berth status -o json` decoded, or the exit status when it printed no daemon status.
    func status(_ manifest: String) async throws -> (Output, [String: Any]?) {
        let output = try await berth(["status", "-f", manifest, "-o", "json"])
        let object = try? JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any]
        return (output, object)
    }

    /// Polls `berth status -o json` (there is no event across processes) until `condition` holds.
    @discardableResult
    func awaitStatus(
        _ manifest: String, within limit: Duration = .seconds(30), _ what: String,
        _ condition: ([String: Any]) -> Bool
    ) async throws -> [String: Any] {
        let deadline = ContinuousClock.now + limit
        var last = ""
        while ContinuousClock.now < deadline {
            let (output, object) = try await status(manifest)
            last = output.stdout + output.stderr
            if let object, condition(object) { return object }
            try await Task.sleep(for: .milliseconds(100))
        }
        // Say whether the cluster was still there: "connection refused" in the status may mean it is not.
        let cluster = fakeKube.endedStatus().map { "fake-kube ended with status \($0)" } ?? "fake-kube still runs"
        throw Failure(description: """
            timed out waiting for \(what); \(cluster); its log ends:
            \(fakeKube.logEnd())
            last `berth status`:
            \(last)
            """)
    }
}

/// Reads a status document's forwards.
extension Dictionary where Key == String, Value == Any {
    var forwards: [[String: Any]] { self["forwards"] as? [[String: Any]] ?? [] }

    func forward(_ name: String) -> [String: Any]? { forwards.first { $0["name"] as? String == name } }

    func phase(_ name: String) -> String? { forward(name)?["phase"] as? String }

    func pod(_ name: String) -> String? { forward(name)?["pod"] as? String }

    func localPort(_ name: String) -> Int? {
        jsonInt((forward(name)?["ports"] as? [[String: Any]])?.first?["localPort"])
    }

    /// The daemon's PID.
    var pid: Int? { jsonInt(self["pid"]) }

    func allPhases(_ names: [String], are phase: String) -> Bool { names.allSatisfy { self.phase($0) == phase } }
}

/// A child process started with `posix_spawn` (so its PID can be signalled and reaped exactly).
final class Spawned: Sendable {
    let pid: pid_t
    private let logPath: String
    private let stdoutReader: LineReader?
    private let exit = Mutex<Int32?>(nil)

    private init(pid: pid_t, logPath: String, stdoutReader: LineReader?) {
        self.pid = pid
        self.logPath = logPath
        self.stdoutReader = stdoutReader
    }

    static func start(
        _ arguments: [String], environment: [String: String], log: String, captureStdout: Bool = false, stdoutFile: String? = nil
    ) throws -> Spawned {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, log, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        var pipeFDs: [Int32] = [-1, -1]
        if captureStdout {
            guard pipe(&pipeFDs) == 0 else { throw ProcessWorld.Failure(description: "pipe: errno \(errno)") }
            posix_spawn_file_actions_adddup2(&actions, pipeFDs[1], 1)
            posix_spawn_file_actions_addclose(&actions, pipeFDs[0])
            posix_spawn_file_actions_addclose(&actions, pipeFDs[1])
        } else {
            posix_spawn_file_actions_addopen(&actions, 1, stdoutFile ?? log, O_WRONLY | O_CREAT | (stdoutFile == nil ? O_APPEND : O_TRUNC), 0o600)
        }
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        var envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var pid = pid_t()
        let result = posix_spawn(&pid, arguments[0], &actions, nil, &argv, &envp)
        if captureStdout { close(pipeFDs[1]) }
        guard result == 0 else {
            if captureStdout { close(pipeFDs[0]) }
            throw ProcessWorld.Failure(description: "cannot start \(arguments[0]): errno \(result)")
        }
        return Spawned(pid: pid, logPath: log, stdoutReader: captureStdout ? LineReader(fd: pipeFDs[0]) : nil)
    }

    /// The first stdout line, or nil if none came within `limit` (or stdout closed first).
    func firstLine(within limit: Duration) async -> String? {
        await stdoutReader?.firstLine(within: limit)
    }

    /// The process's stderr log so far.
    func log() -> String {
        (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
    }

    /// The end of the log, from the crashed thread's backtrace when the process crashed (Swift's backtracer prints
    /// every thread; the crashed one is what explains the end).
    func logEnd() -> String {
        let text = log()
        if let crashed = text.range(of: " crashed:") {
            let start = text[..<crashed.lowerBound].lastIndex(of: "\n").map { text.index(after: $0) } ?? text.startIndex
            return String(text[start...].prefix(6000))
        }
        return String(text.suffix(4000))
    }

    /// Sends `signal` to the process.
    func signal(_ number: Int32) {
        kill(pid, number)
    }

    /// Waits for the process to exit (on its own thread: `waitpid` blocks) and returns its exit status;
    /// 128+N when signal N ended it. A process still running after `seconds` fails the test, naming its log,
    /// and is killed, so a process that should end but does not cannot hang the suite.
    func wait(within seconds: Double = 60) async -> Int32 {
        if let status = exit.withLock({ $0 }) { return status }
        let pid = pid
        let reaped = Task {
            await withCheckedContinuation { (continuation: CheckedContinuation<Int32, Never>) in
                Thread {
                    var raw: Int32 = 0
                    while waitpid(pid, &raw, 0) < 0 && errno == EINTR {}
                    let code = Self.exitCode(raw)
                    continuation.resume(returning: code)
                }.start()
            }
        }
        let status: Int32
        do {
            status = try await awaitEnd(of: reaped, within: seconds, "the process \(pid) (log \(logPath))")
        } catch {
            Issue.record("\(error); killed it. Its log:\n\(log())")
            kill(pid, SIGKILL)
            // The reaping thread ignores the cancellation; it returns once the kill has ended the process.
            status = await reaped.value
        }
        exit.withLock { $0 = status }
        return status
    }

    /// A `waitpid` status as an exit code: the process's own, or 128+N when signal N ended it.
    private static func exitCode(_ raw: Int32) -> Int32 {
        raw & 0x7f == 0 ? (raw >> 8) & 0xff : 128 + (raw & 0x7f)
    }

    /// The exit status (128+N for signal N) if the process has ended, reaping it; nil while it runs. Never blocks.
    func endedStatus() -> Int32? {
        if let status = exit.withLock({ $0 }) { return status }
        var raw: Int32 = 0
        guard waitpid(pid, &raw, WNOHANG) == pid else { return nil }
        let code = Self.exitCode(raw)
        exit.withLock { $0 = code }
        return code
    }

    /// Kills the process if it still runs, and reaps it.
    func stop() {
        guard exit.withLock({ $0 }) == nil else { return }
        kill(pid, SIGKILL)
        var raw: Int32 = 0
        while waitpid(pid, &raw, 0) < 0 && errno == EINTR {}
        exit.withLock { $0 = 137 }
    }
}

/// Reads a pipe line by line on its own thread and hands the first line to whoever asks.
final class LineReader: Sendable {
    private let first = Mutex<(line: String?, done: Bool, waiters: [CheckedContinuation<String?, Never>])>((nil, false, []))

    init(fd: Int32) {
        Thread { [self] in
            var bytes: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 1024)
            var delivered = false
            while true {
                let count = read(fd, &buffer, buffer.count)
                if count < 0 && errno == EINTR { continue }
                if count <= 0 { break }
                guard !delivered else { continue }  // keep draining so the child never blocks on a full pipe
                bytes += buffer[0..<count]
                if let newline = bytes.firstIndex(of: UInt8(ascii: "\n")) {
                    delivered = true
                    self.deliver(String(decoding: bytes[..<newline], as: UTF8.self))
                }
            }
            close(fd)
            self.deliver(nil)
        }.start()
    }

    private func deliver(_ line: String?) {
        let waiters = first.withLock { state -> [CheckedContinuation<String?, Never>] in
            guard !state.done else { return [] }
            state.done = true
            state.line = line
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume(returning: line) }
    }

    func firstLine(within limit: Duration) async -> String? {
        await withTaskGroup(of: String?.self) { group in
            group.addTask {
                await withCheckedContinuation { continuation in
                    let ready = self.first.withLock { state -> (Bool, String?) in
                        if state.done { return (true, state.line) }
                        state.waiters.append(continuation)
                        return (false, nil)
                    }
                    if ready.0 { continuation.resume(returning: ready.1) }
                }
            }
            group.addTask {
                try? await Task.sleep(for: limit)
                return nil
            }
            let result = await group.next() ?? nil
            group.cancelAll()
            if result == nil { self.deliver(nil) }  // release the waiter if the deadline won
            return result
        }
    }
}

/// A mutex-protected value that child tasks can share by reference.
final class Shared<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    init(_ value: Value) {
        mutex = Mutex(value)
    }

    func withLock<Result: Sendable>(_ body: (inout Value) -> Result) -> Result {
        mutex.withLock { body(&$0) }
    }
}

/// A JSON number as an Int, however JSONSerialization boxed it.
func jsonInt(_ value: Any?) -> Int? {
    switch value {
    case let int as Int: int
    case let number as NSNumber: number.intValue
    case let double as Double: Int(double)
    default: nil
    }
}
