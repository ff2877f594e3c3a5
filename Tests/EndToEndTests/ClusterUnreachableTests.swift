import Foundation
import Testing

/// A kubeconfig whose server name does not resolve: `berth forward` says so at once, in kubectl's words, and exits 1
/// (as kubectl port-forward does when it cannot reach the API server); `berth up` keeps trying and its status says
/// why, instead of an endless CacheSyncing without a reason.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct ClusterUnreachableTests {
    static let server = "https://nosuch.invalid:6443"

    /// The world's kubeconfig with its server renamed to a host that cannot resolve.
    static func unresolvable(_ world: ProcessWorld) throws -> String {
        let text = try String(contentsOfFile: world.kubeconfig, encoding: .utf8)
        let renamed = text.replacing(/server: \S+/, with: "server: \(server)")
        #expect(renamed != text, "the kubeconfig names a server")
        return try world.write("unresolvable.kubeconfig", renamed)
    }

    @Test func forwardSaysItCannotReachTheClusterAndExits() async throws {
        try await ProcessWorld.with(scenario: ProcessEndToEndTests.scenario) { world in
            let kubeconfig = try Self.unresolvable(world)
            let port = try ForwardCommandCLITests.freePort()
            let run = try await world.berth(["forward", "--kubeconfig", kubeconfig, "svc/web", "\(port):http"], within: .seconds(20))
            #expect(run.status == 1, "\(run.stderr)")
            #expect(run.stdout.isEmpty, "\(run.stdout)")
            let lines = run.stderr.split(separator: "\n")
            #expect(lines.count == 1, "one line: \(run.stderr)")
            #expect(run.stderr.hasPrefix("error: cannot reach the cluster at \(Self.server): "), "\(run.stderr)")
            #expect(run.stderr.contains("cannot resolve address \"nosuch.invalid\""), "\(run.stderr)")
        }
    }

    /// A server nobody listens on is said in the system's words, not NIO's.
    @Test func aRefusedConnectionIsSaidPlainly() async throws {
        try await ProcessWorld.with(scenario: ProcessEndToEndTests.scenario) { world in
            let closed = try ForwardCommandCLITests.freePort()
            let text = try String(contentsOfFile: world.kubeconfig, encoding: .utf8)
            let kubeconfig = try world.write("refused.kubeconfig", text.replacing(/server: \S+/, with: "server: https://127.0.0.1:\(closed)"))
            let run = try await world.berth(["forward", "--kubeconfig", kubeconfig, "svc/web", "\(try ForwardCommandCLITests.freePort()):http"], within: .seconds(20))
            #expect(run.status == 1, "\(run.stderr)")
            #expect(run.stderr == "error: cannot reach the cluster at https://127.0.0.1:\(closed): connection refused\n", "\(run.stderr)")
        }
    }

    @Test func upShowsWhyTheForwardWaits() async throws {
        try await ProcessWorld.with(scenario: ProcessEndToEndTests.scenario) { world in
            let kubeconfig = try Self.unresolvable(world)
            let manifest = try world.write("forwards.yaml", """
                apiVersion: berth/v1
                kind: Forwards
                forwards:
                  - name: web
                    service: web
                    ports: [{local: 0, remote: http}]
                """)
            // At debug level, so that the retries the warnings leave out are seen happening.
            let up = try Spawned.start(
                [ProcessWorld.products + "/berth", "up", "-f", manifest, "--kubeconfig", kubeconfig],
                environment: world.environment.merging(["BERTH_LOG_LEVEL": "debug"]) { $1 }, log: world.directory + "/up.log")
            defer { up.stop() }
            let status = try await world.awaitStatus(manifest, within: .seconds(20), "web to say why it waits") {
                $0.forward("web")?["reason"] as? String == "ClusterUnreachable"
            }
            let message = status.forward("web")?["message"] as? String ?? ""
            #expect(message.hasPrefix("cannot reach the cluster at \(Self.server): "), "\(message)")
            #expect(message.contains("cannot resolve address \"nosuch.invalid\""), "\(message)")
            let table = try await world.berth(["status", "-f", manifest])
            #expect(table.stdout.contains("cannot reach the cluster at \(Self.server)"), "\(table.stdout)")

            // Every retry fails the same way: the daemon says it once, not once per retry.
            let retried = try await world.awaitFile("up.log", contains: "reconcile failed", count: 4)
            let warnings = retried.split(separator: "\n").filter { $0.contains(" warning ") && $0.contains("reconcile failed") }
            #expect(warnings.count == 1, "\(warnings.joined(separator: "\n"))")
        }
    }
}
