import BerthTestSupport
import FakeKube
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

@testable import BerthDaemon

/// What a user sees when the API server or the kubelet refuses a forward's streams: the status and the
/// log carry their words, not a closed channel.
@Suite(.serialized) struct ForwardUpstreamErrorTests {
    static func manifest(name: String, context: String? = nil, remote: Int, transport: String = "auto") -> String {
        """
        apiVersion: berth/v1
        kind: Forwards
        forwards:
          - name: \(name)
        \(context.map { "    context: \($0)\n" } ?? "")    pod: lone
            transport: \(transport)
            ports: [{local: 0, remote: \(remote)}]
        """
    }

    @Test func theReadonlyUserIsFailedForbiddenNamingTheVerbAndResource() async throws {
        try await Harness.with { harness in
            try harness.writeManifest(Self.manifest(name: "denied", context: "readonly", remote: 7000))
            try await harness.withDaemon { daemon in
                let status = try await awaitStatus(daemon, "denied Failed") { $0.isPhase("denied", .failed) }
                let denied = try #require(status["denied"])
                #expect(denied.reason == .forbidden)
                let message = try #require(denied.message)
                #expect(message.hasPrefix("forbidden: "))
                #expect(message.contains(#"User "readonly" cannot get resource "pods/portforward""#), "\(message)")
                #expect(denied.lastError == message)
            }
        }
    }

    /// v4 carries one connection per upgrade, so its attempts are counted by FakeKube's requests; SPDY
    /// streams ride one session, so there the first Failed status is awaited.
    @Test(arguments: ["websocket", "websocket-spdy"])
    func thePodPortNobodyServesShowsTheKubeletsErrorInTheStatus(transport: String) async throws {
        try await Harness.with { harness in
            try harness.writeManifest(Self.manifest(name: "unserved", remote: 9999, transport: transport))
            try await harness.withDaemon { daemon in
                // Every Failed message over three attempts: each must be the kubelet's, however its text
                // raced the port prefixes.
                let messages = Shared([String]())
                let changes = daemon.statusChanges()
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        for await status in changes {
                            guard let forward = status["unserved"], forward.phase == .failed, let message = forward.message else { continue }
                            messages.withLock { $0.append(message) }
                        }
                    }
                    // FakeKube's request count and the collected messages have no event to await.
                    if transport == "websocket" {
                        try await eventually("three port-forward attempts") { harness.server.stats().count(verb: "portforward") >= 3 }
                    }
                    try await eventually("a Failed status") { !messages.withLock { $0.isEmpty } }
                    group.cancelAll()
                }
                for message in messages.withLock({ $0 }) {
                    #expect(message.contains("error forwarding port 9999 to pod lone"), "\(message)")
                }
                let unserved = try #require(await daemon.status()["unserved"])
                #expect(unserved.phase == .failed)
                #expect(unserved.reason == .portForwardFailed)
                #expect(unserved.lastError == unserved.message)
            }
        }
    }

    @Test func berthForwardPrintsTheKubeletsErrorForAPortNobodyServes() async throws {
        try await Harness.with { harness in
            let berth = try Spawned.start(
                [ProcessWorld.products + "/berth", "forward", "--kubeconfig", harness.kubeconfig, "-n", "default", "pod/lone", ":9999"],
                // berth forward logs only errors unless BERTH_LOG_LEVEL asks: the retries are warnings.
                environment: ["HOME": harness.directory.path, "BERTH_LOG_LEVEL": "warning"],
                log: harness.directory.appendingPathComponent("stderr.log").path)
            defer { berth.stop() }
            let expected = "error forwarding port 9999 to pod lone"
            // Two failed opens and their retries; stderr goes to a file, which has no event to await.
            try await eventually("two retries on stderr", within: 15) {
                berth.log().components(separatedBy: "cannot open a warm stream; retrying").count > 2
            }
            berth.signal(SIGINT)
            #expect(await berth.wait() == 0)
            let output = berth.log()
            let failures = output.split(separator: "\n").filter { $0.hasPrefix("Failed:") || $0.contains("cannot reach the pod") }
            #expect(!failures.isEmpty, "stderr was: \(output)")
            // Every failure is told in the kubelet's words, however its message raced the port prefixes.
            for line in failures {
                #expect(line.contains(expected), "\(line)")
            }
        }
    }
}
