@testable import BerthDaemon
import Foundation
import Testing

/// `address: localhost` means both loopbacks: IPv6 clients (which try `::1` first) reach the forward too.
@Suite(.serialized) struct LocalhostEndToEndTests {
    /// Forward `lone` (the bare pod, port 7000) on a free local port of `address`.
    static func lone(address: String) -> String {
        """
        apiVersion: berth/v1
        kind: Forwards
        forwards:
          - name: lone
            pod: lone
            address: \(address)
            ports: [{local: 0, remote: 7000}]
        """
    }

    @Test func localhostBindsBothLoopbacksOnOnePort() async throws {
        try await Harness.with { harness in
            try harness.writeManifest(Self.lone(address: "localhost"))
            try await harness.withDaemon { daemon in
                let ready = try await awaitStatus(daemon, "lone Ready") { $0.isPhase("lone", .ready) }
                let port = try #require(ready.port("lone"))
                #expect(try await TestHTTP.get(port: port).contains("lone"), "over 127.0.0.1")
                #expect(try await TestHTTP.get(port: port, host: "::1").contains("lone"), "over ::1, the same port")
                #expect(await daemon.reconciler.runningForwards(of: "lone").count == 2, "one listener per loopback")

                // 127.0.0.1 binds the same IPv4 socket but means that address alone: the edit rebuilds the port.
                try harness.writeManifest(Self.lone(address: "127.0.0.1"))
                let edited = try await awaitStatus(daemon, "lone rebuilt") { $0.isPhase("lone", .ready) && $0.port("lone") != port }
                let newPort = try #require(edited.port("lone"))
                #expect(try await TestHTTP.get(port: newPort).contains("lone"))
                await #expect(throws: TestHTTP.Failure.self, "no ::1 listener any more") { try await TestHTTP.get(port: newPort, host: "::1") }
            }
        }
    }

    @Test(.enabled(if: NetworkNamespace.supported, "needs root and iproute2 for a network namespace without IPv6"))
    func withoutIPv6LocalhostServesTheIPv4LoopbackAndSaysSo() async throws {
        try await NetworkNamespace.with { namespace in
            try await namespace.disableIPv6()
            try await ProcessWorld.with(scenario: ProcessEndToEndTests.scenario, launcher: namespace.launcher) { world in
                let manifest = try world.write("forwards.yaml", """
                    apiVersion: berth/v1
                    kind: Forwards
                    forwards:
                      - name: web
                        service: web
                        address: localhost
                        ports: [{local: 0, remote: http}]
                    """)
                let up = try world.startBerth(["up", "-f", manifest, "--kubeconfig", world.kubeconfig])
                defer { up.stop() }
                let ready = try await world.awaitStatus(manifest, "web Ready") { $0.phase("web") == "Ready" }
                let port = try #require(ready.localPort("web"))
                let reply = try await world.run(["/usr/bin/curl", "-s", "--max-time", "10", "http://127.0.0.1:\(port)/"])
                #expect(reply.stdout.contains(try #require(ready.pod("web"))), "over 127.0.0.1: \(reply.stdout)\(reply.stderr)")
                #expect(up.log().contains("localhost is served on 127.0.0.1 only"), "the missing ::1 is logged:\n\(up.log())")
                #expect(try await world.berth(["down", "-f", manifest]).status == 0)
            }
        }
    }
}
