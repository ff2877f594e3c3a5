import BerthDaemon
import Foundation
import Synchronization
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A daemon over a one-forward manifest whose kubeconfig does not exist: it runs (its forward fails and
/// retries) without any cluster, which is all the host needs.
func hostTestDaemon(in dir: String, name: String = "forwards.yaml") throws -> Daemon {
    let manifest = try hostTestManifest(in: dir, name: name)
    return Daemon(configuration: DaemonConfiguration(
        source: .files(manifests: [manifest], envFiles: []), kubeconfig: dir + "/no-kubeconfig", environment: [:],
        logger: quietLogger))
}

/// Writes the one-forward manifest of ``hostTestDaemon(in:name:)``, with `extraLines` added to the forward;
/// returns its path.
@discardableResult
func hostTestManifest(in dir: String, name: String = "forwards.yaml", extraLines: [String] = []) throws -> String {
    let manifest = dir + "/" + name
    try ([
        "apiVersion: berth/v1",
        "kind: Forwards",
        "forwards:",
        "  - name: web",
        "    service: web",
        "    ports: [{local: 0, remote: 80}]",
    ] + extraLines).joined(separator: "\n").write(toFile: manifest, atomically: true, encoding: .utf8)
    return manifest
}

/// What the services or clocks of a test did, in order.
final class EventLog: Sendable {
    private let log = Mutex<[String]>([])

    func append(_ event: String) { log.withLock { $0.append(event) } }

    var events: [String] { log.withLock { $0 } }
}

/// A host of `daemon` with its runtime directory under `dir`.
func testHost(_ daemon: Daemon, in dir: String) -> DaemonHost {
    DaemonHost(daemon: daemon, runtimeDirectory: RuntimeDirectory(path: dir + "/runtime"), stateDebounce: .milliseconds(10), logger: quietLogger)
}

/// A one-shot gate a test opens to let a host's body return.
final class Gate: Sendable {
    private let state = Mutex<(open: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    func open() {
        let waiters = state.withLock { state in
            state.open = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    func wait() async {
        await withCheckedContinuation { continuation in
            let now = state.withLock { state -> Bool in
                if state.open { return true }
                state.waiters.append(continuation)
                return false
            }
            if now { continuation.resume() }
        }
    }
}

/// Runs `host` with a body that waits for `body` to finish, then lets the host clean up and returns.
func whileHosting(_ host: DaemonHost, _ body: @escaping @Sendable () async throws -> Void) async throws {
    let finished = Gate()
    let started = Gate()
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask {
            try await host.run {
                started.open()
                await finished.wait()
            }
        }
        await started.wait()
        do {
            try await body()
        } catch {
            finished.open()
            try? await group.waitForAll()
            throw error
        }
        finished.open()
        try await group.waitForAll()
    }
}

/// Binds a Unix socket at `path` and closes it without unlinking: what a killed daemon leaves behind.
func leaveStaleSocket(at path: String) throws {
    let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    withUnsafeMutableBytes(of: &address.sun_path) { raw in
        let bytes = Array(path.utf8)
        raw.copyBytes(from: bytes)
        raw[bytes.count] = 0
    }
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
    }
    try #require(bound == 0, "bind \(path): errno \(errno)")
}
