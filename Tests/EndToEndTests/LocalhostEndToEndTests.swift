@testable import BerthDaemon
import Foundation
import Testing

/// `address: localhost` means both loopbacks: IPv6 clients (which try `::1` first) reach the forward too.
@Suite(.serialized) struct LocalhostEndToEndTests {
    @Test func localhostBindsBothLoopbacksOnOnePort() async throws {
        try await Harness.with { harness in
            try harness.writeManifest("""
                apiVersion: berth/v1
                kind: Forwards
                forwards:
                  - name: lone
                    pod: lone
                    address: localhost
                    ports: [{local: 0, remote: 7000}]
                """)
            try await harness.withDaemon { daemon in
                let ready = try await awaitStatus(daemon, "lone Ready") { $0.isPhase("lone", .ready) }
                let port = try #require(ready.port("lone"))
                #expect(try await TestHTTP.get(port: port).contains("lone"), "over 127.0.0.1")
                #expect(try await TestHTTP.get(port: port, host: "::1").contains("lone"), "over ::1, the same port")
                #expect(await daemon.reconciler.runningForwards(of: "lone").count == 2, "one listener per loopback")
            }
        }
    }
}
