import Foundation
import Logging
import Reconcile
import Synchronization
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A fresh directory under the system temporary directory, removed after `body`.
func withTemporaryDirectory<T>(_ body: (String) async throws -> T) async throws -> T {
    let path = FileManager.default.temporaryDirectory
        .appendingPathComponent("berth-test-\(UUID().uuidString.prefix(8))").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try await body(path)
}

/// The permission bits and type of a path, from `lstat`.
func fileMode(_ path: String) -> (type: mode_t, permissions: mode_t)? {
    var info = stat()
    guard lstat(path, &info) == 0 else { return nil }
    return (info.st_mode & S_IFMT, info.st_mode & 0o7777)
}

// `quietLogger` is declared once for the whole test target, in DataPlaneTestSupport.swift.

/// Runs a program to completion and returns its exit status.
@discardableResult
func runProgram(_ arguments: [String]) throws -> Int32 {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: arguments[0])
    process.arguments = Array(arguments.dropFirst())
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    return process.terminationStatus
}

/// Collects the elements a background consumer receives so a test can take them with a deadline.
final class Inbox<Element: Sendable>: Sendable {
    private let items = Mutex<[Element]>([])
    private let arrival = AsyncWakeup()

    func put(_ item: Element) {
        items.withLock { $0.append(item) }
        arrival.signal()
    }

    var count: Int { items.withLock { $0.count } }

    /// The next element, or `nil` if none arrives within `limit`. One taker at a time.
    func take(within limit: Duration) async -> Element? {
        let deadline = ContinuousClock.now + limit
        while true {
            if let item = items.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) { return item }
            if ContinuousClock.now >= deadline { return nil }
            await arrival.wait(orUntil: { try await ContinuousClock().sleep(until: deadline) })
        }
    }
}

/// A mutex-protected value that tasks can share by reference (a local `Mutex` cannot be shared with a child task).
final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    init(_ value: Value) {
        mutex = Mutex(value)
    }

    func withLock<Result: Sendable>(_ body: (inout Value) -> Result) -> Result {
        mutex.withLock { value in body(&value) }
    }
}

/// A child process started with `posix_spawn` and ended with SIGKILL plus `waitpid`.
///
/// Foundation's `Process.waitUntilExit()` blocks a cooperative thread until the child's descendants let go
/// of it as well; these tests need a prompt, exact end of one process.
struct ChildProcess {
    let pid: pid_t

    static func spawn(_ arguments: [String]) throws -> ChildProcess {
        var pid = pid_t()
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for argument in argv { free(argument) } }
        let result = posix_spawn(&pid, arguments[0], nil, nil, &argv, environ)
        guard result == 0 else { throw POSIXError(POSIXErrorCode(rawValue: result) ?? .EINVAL) }
        return ChildProcess(pid: pid)
    }

    /// Kills the child and reaps it, so that its PID is truly gone when this returns.
    func killAndReap() {
        kill(pid, SIGKILL)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    }
}
