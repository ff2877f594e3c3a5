import BerthDaemon
import BerthTestSupport
import Foundation
import Testing

/// Connections that clients have left are no longer counted open: the CONNS column of `berth status` goes back to
/// 0/N once every client is gone, also after keep-alive HTTP clients (curl keeps its connection until it exits).
@Suite(.serialized) struct ConnectionCountEndToEndTests {
    /// Over SPDY the client's FIN reaches the pod, which ends the connection; over v4, which cannot carry a FIN, the
    /// stream is closed after the pod's silence (docs/port-forward.md, "Half-close: v4 has none").
    @Test(arguments: ["websocket-spdy", "websocket"])
    func keepAliveClientsThatLeaveAreNoLongerCountedOpen(transport: String) async throws {
        try await Harness.with { harness in
            try harness.writeManifest("""
                apiVersion: berth/v1
                kind: Forwards
                forwards:
                  - name: web
                    service: web
                    transport: \(transport)
                    ports: [{local: 0, remote: http}]
                """)
            try await harness.withDaemon { daemon in
                let ready = try await awaitStatus(daemon, "web Ready") { $0.isPhase("web", .ready) }
                let port = try #require(ready.port("web"))
                // One after the other, two requests on each connection; each client closes its socket as it goes.
                for _ in 0..<3 {
                    let client = try KeepAliveHTTP(port: port)
                    #expect(try await client.get().contains("web-"))
                    #expect(try await client.get().contains("web-"))
                }
                // Side by side.
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for _ in 0..<4 {
                        group.addTask {
                            let client = try KeepAliveHTTP(port: port)
                            _ = try await client.get()
                        }
                    }
                    try await group.waitForAll()
                }
                // HTTP/1.0 with Connection: close, which the pod ends itself.
                #expect(try await TestHTTP.get(port: port).contains("web-"))

                try await eventually("no open connection once every client is gone", within: 15) {
                    await daemon.status()["web"]?.connections.open == 0
                }
                #expect(await daemon.status()["web"]?.connections.total == 8)
            }
        }
    }
}
