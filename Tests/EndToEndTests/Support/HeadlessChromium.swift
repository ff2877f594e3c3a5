import BerthTestSupport
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Headless Chromium driven over the DevTools protocol on a pipe (`--remote-debugging-pipe`): commands go to
/// its fd 3, answers come from its fd 4, each message one JSON object ended by a NUL byte.
final class HeadlessChromium: Sendable {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Debian's `chromium`, when installed.
    static let executable: String? = ["chromium", "chromium-browser", "google-chrome"].lazy.compactMap(ReferenceClients.find).first

    private let pid: pid_t
    private let commands: Int32
    private let logPath: String
    private let state = Mutex<(next: Int, waiting: [Int: CheckedContinuation<Data, any Error>], closed: Bool)>((0, [:], false))

    private init(pid: pid_t, commands: Int32, answers: Int32, logPath: String) {
        self.pid = pid
        self.commands = commands
        self.logPath = logPath
        Thread { [self] in readAnswers(answers) }.start()
    }

    /// Starts a browser with a fresh profile in `directory`; its output goes to `directory/chromium.log`.
    static func launch(in directory: String) throws -> HeadlessChromium {
        guard let executable else { throw Failure(description: "chromium is not installed") }
        var toBrowser: [Int32] = [-1, -1]
        var fromBrowser: [Int32] = [-1, -1]
        guard pipe(&toBrowser) == 0, pipe(&fromBrowser) == 0 else { throw Failure(description: "pipe: errno \(errno)") }
        let log = directory + "/chromium.log"
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        posix_spawn_file_actions_adddup2(&actions, toBrowser[0], 3)
        posix_spawn_file_actions_adddup2(&actions, fromBrowser[1], 4)
        for fd in toBrowser + fromBrowser { posix_spawn_file_actions_addclose(&actions, fd) }
        let arguments = [
            executable, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
            "--no-default-browser-check", "--remote-debugging-pipe", "--user-data-dir=\(directory)/chromium-profile",
            "--window-size=1500,800", "--hide-scrollbars", "about:blank",
        ]
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        let environment = ["HOME=\(directory)", "PATH=/usr/bin:/bin", "LANG=C.UTF-8"]
        var envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup($0) } + [nil]
        defer {
            for pointer in argv + envp { free(pointer) }
        }
        var pid = pid_t()
        let result = posix_spawn(&pid, executable, &actions, nil, &argv, &envp)
        close(toBrowser[0])
        close(fromBrowser[1])
        guard result == 0 else {
            close(toBrowser[1])
            close(fromBrowser[0])
            throw Failure(description: "cannot start \(executable): errno \(result)")
        }
        return HeadlessChromium(pid: pid, commands: toBrowser[1], answers: fromBrowser[0], logPath: log)
    }

    /// Sends one DevTools command (to the page of `session`, when given) and returns its `result`.
    func call(_ method: String, _ parameters: [String: any Sendable] = [:], session: String? = nil) async throws -> [String: Any] {
        let answer = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Data, any Error>) in
            let id: Int? = state.withLock { state in
                guard !state.closed else { return nil }
                state.next += 1
                state.waiting[state.next] = continuation
                return state.next
            }
            guard let id else { return continuation.resume(throwing: Failure(description: "chromium exited; log:\n\(log())")) }
            var message: [String: Any] = ["id": id, "method": method, "params": parameters]
            if let session { message["sessionId"] = session }
            do {
                var bytes = try JSONSerialization.data(withJSONObject: message)
                bytes.append(0)
                let written = bytes.withUnsafeBytes { write(commands, $0.baseAddress, $0.count) }
                if written != bytes.count { throw Failure(description: "writing to chromium failed: errno \(errno)") }
            } catch {
                state.withLock { $0.waiting.removeValue(forKey: id) }?.resume(throwing: error)
            }
        }
        let object = try JSONSerialization.jsonObject(with: answer) as? [String: Any] ?? [:]
        if let error = object["error"] { throw Failure(description: "\(method): \(error)") }
        return object["result"] as? [String: Any] ?? [:]
    }

    /// Opens `url` in a new page and returns the session that drives it, once the navigation committed (a
    /// script evaluated before that would run in the blank page the target starts with).
    func open(_ url: String) async throws -> String {
        let target = try await call("Target.createTarget", ["url": "about:blank"])
        guard let id = target["targetId"] as? String else { throw Failure(description: "no target id in \(target)") }
        let attached = try await call("Target.attachToTarget", ["targetId": id, "flatten": true])
        guard let session = attached["sessionId"] as? String else { throw Failure(description: "no session in \(attached)") }
        let navigated = try await call("Page.navigate", ["url": url], session: session)
        if let error = navigated["errorText"] { throw Failure(description: "cannot open \(url): \(error)") }
        return session
    }

    /// Evaluates `expression` in the page (awaiting it when it is a promise) and returns its value as JSON text.
    func evaluate(_ expression: String, session: String) async throws -> String {
        let result = try await call(
            "Runtime.evaluate", ["expression": "Promise.resolve(\(expression)).then(JSON.stringify)", "awaitPromise": true, "returnByValue": true],
            session: session)
        if let exception = result["exceptionDetails"] { throw Failure(description: "the page threw: \(exception)") }
        return (result["result"] as? [String: Any])?["value"] as? String ?? "null"
    }

    /// The page as a PNG.
    func screenshot(session: String) async throws -> Data {
        let result = try await call("Page.captureScreenshot", ["format": "png"], session: session)
        guard let base64 = result["data"] as? String, let png = Data(base64Encoded: base64) else {
            throw Failure(description: "no screenshot data")
        }
        return png
    }

    /// Chromium's own output so far.
    func log() -> String {
        (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
    }

    /// Ends the browser and reaps it.
    func stop() {
        close(commands)
        kill(pid, SIGKILL)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    }

    private func readAnswers(_ fd: Int32) {
        var pending: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = read(fd, &buffer, buffer.count)
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            pending += buffer[0..<count]
            while let end = pending.firstIndex(of: 0) {
                let message = Data(pending[..<end])
                pending.removeSubrange(...end)
                // Answers carry their command's id; events (no id) are not used.
                guard let object = try? JSONSerialization.jsonObject(with: message) as? [String: Any], let id = object["id"] as? Int else { continue }
                state.withLock { $0.waiting.removeValue(forKey: id) }?.resume(returning: message)
            }
        }
        close(fd)
        let waiting = state.withLock { state in
            state.closed = true
            defer { state.waiting = [:] }
            return Array(state.waiting.values)
        }
        for continuation in waiting { continuation.resume(throwing: Failure(description: "chromium closed its pipe")) }
    }
}
