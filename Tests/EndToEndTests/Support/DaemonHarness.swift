import BerthDaemon
import BerthTestSupport
import FakeKube
import Foundation
import Logging

/// A FakeKube cluster, its kubeconfig in a temp directory, and a manifest file next to it.
struct Harness {
    let server: FakeKubeServer
    let directory: URL
    var kubeconfig: String { directory.appendingPathComponent("kubeconfig").path }
    var manifest: String { directory.appendingPathComponent("forwards.yaml").path }

    /// Set `BERTH_TEST_LOG=1` (or a level: `BERTH_TEST_LOG=info`) to see the daemon's and FakeKube's logs when
    /// debugging; `1` shows debug lines.
    static let quiet: Logger = {
        guard let level = ProcessInfo.processInfo.environment["BERTH_TEST_LOG"] else {
            return Logger(label: "berth.e2e") { _ in SwiftLogNoOpLogHandler() }
        }
        var logger = Logger(label: "berth.e2e") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = Logger.Level(rawValue: level) ?? .debug
        return logger
    }()

    /// Deployment `web` (1 replica, named port `http` 8080) behind Service `web` (port 80 → `http`), StatefulSet `db`
    /// (port 5432) and a bare pod `lone` (label app=lone, port 7000); every port answers HTTP with its pod's name.
    static let scenario = Scenario(
        deployments: [
            .init(name: "web", replicas: 1, labels: ["app": "web"],
                  containers: [.init(name: "web", ports: [.init(name: "http", containerPort: 8080, behaviour: .http)])],
                  readinessDelay: 0.5, replacementDelay: 0.1)
        ],
        statefulsets: [
            .init(name: "db", replicas: 1, labels: ["app": "db"],
                  containers: [.init(name: "db", ports: [.init(name: "pg", containerPort: 5432, behaviour: .http)])],
                  readinessDelay: 0.1, replacementDelay: 0.1)
        ],
        services: [.init(name: "web", selector: ["app": "web"], ports: [.init(name: "http", port: 80, targetPort: .name("http"))])],
        pods: [.init(name: "lone", labels: ["app": "lone"], containers: [.init(name: "c", ports: [.init(name: "web", containerPort: 7000, behaviour: .http)])])]
    )

    /// Runs `body` with a fresh cluster and temp directory, cleaned up after.
    static func with(_ body: (Harness) async throws -> Void) async throws {
        let harness = try await start()
        do {
            try await body(harness)
        } catch {
            await harness.shutdown()
            throw error
        }
        await harness.shutdown()
    }

    static func start() async throws -> Harness {
        let server = try await FakeKubeServer.start(scenario: scenario, logger: quiet)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("berth-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let harness = Harness(server: server, directory: directory)
        try server.writeKubeconfig(to: harness.kubeconfig)
        return harness
    }

    /// Writes the manifest the way editors save: a new file renamed over the old one.
    func writeManifest(_ text: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: manifest), options: .atomic)
    }

    /// Runs a daemon over the manifest while `body` runs, then stops it and waits for it to end.
    /// - Parameter wakeSample: the clock readings the daemon's sleep/wake monitor sees (a simulated suspend).
    /// - Parameter logger: where the daemon logs (nowhere by default).
    func withDaemon<T: Sendable>(
        wakeSample: @escaping @Sendable () -> WakeDetector.Sample = WakeDetector.Sample.now, logger: Logger = Self.quiet,
        _ body: @Sendable (Daemon) async throws -> T
    ) async throws -> T {
        let daemon = Daemon(configuration: DaemonConfiguration(
            source: .files(manifests: [manifest], envFiles: []), kubeconfig: kubeconfig, environment: [:],
            logger: logger, reloadDebounce: .milliseconds(50), wakeSample: wakeSample))
        // Not a task group: a daemon that does not stop must fail the test, and a group would wait for it.
        let run = Task { try await daemon.run() }
        return try await withTaskCancellationHandler {
            do {
                let result = try await body(daemon)
                daemon.stop()
                try await awaitEnd(of: run, "the daemon, after stop()")
                return result
            } catch {
                daemon.stop()
                _ = try? await awaitEnd(of: run, "the daemon, stopped after a failure")
                throw error
            }
        } onCancel: {
            daemon.stop()
        }
    }

    func shutdown() async {
        await server.shutdown()
        try? FileManager.default.removeItem(at: directory)
    }
}

struct StatusTimeout: Error, CustomStringConvertible {
    var description: String
}

/// Waits for a status change that satisfies `condition` (the current status counts), up to `seconds`.
@discardableResult
func awaitStatus(
    _ daemon: Daemon, within seconds: Int = 20, _ what: String, _ condition: @escaping @Sendable (DaemonStatus) -> Bool
) async throws -> DaemonStatus {
    let changes = daemon.statusChanges()
    return try await withThrowingTaskGroup(of: DaemonStatus?.self) { group in
        group.addTask {
            for await status in changes where condition(status) { return status }
            return nil
        }
        group.addTask {
            try await Task.sleep(for: .seconds(seconds))
            return nil
        }
        let first = try await group.next() ?? nil
        group.cancelAll()
        guard let first else {
            let last = await daemon.status()
            throw StatusTimeout(description: "timed out waiting for \(what); last status:\n\(StatusTable.render(last))")
        }
        return first
    }
}

extension DaemonStatus {
    /// The forward named `name`.
    subscript(name: String) -> ForwardStatus? { forwards.first { $0.name == name } }

    /// The first bound local port of forward `name`.
    func port(_ name: String) -> Int? { self[name]?.ports.first?.localPort }

    /// Whether forward `name` is in `phase`.
    func isPhase(_ name: String, _ phase: ForwardPhase) -> Bool { self[name]?.phase == phase }
}
