import BerthTestSupport
import FakeKube
import Testing

/// A client that closes its watch connection ends the watch at once, as with kube-apiserver: the server
/// reads while it streams, so it sees the close and drops the watch's registration.
@Suite struct WatchCloseTests {
    @Test func aClientClosingAWatchConnectionDropsItPromptly() async throws {
        try await withServer { server in
            var openWhileStreaming = 0
            let start = ContinuousClock.now
            // Returning false after the first event closes the connection (TLS close_notify, then FIN); the
            // client's close waits for the server's close_notify, so before the fix this took the 5 s
            // NIOSSL shutdown timeout.
            try await TestHTTPClient(server: server).watch("/api/v1/pods?watch=1&timeoutSeconds=300") { _ in
                openWhileStreaming = server.stats().openWatches
                return false
            }
            #expect(openWhileStreaming == 1)
            try await eventually("the closed watch unregistered", within: 1) { server.stats().openWatches == 0 }
            #expect(ContinuousClock.now - start < .seconds(3), "closing the watch took \(ContinuousClock.now - start)")
        }
    }

    @Test func requestsOnOneConnectionAreStillAnsweredInOrder() async throws {
        // The server reads while a watch streams; a request pipelined behind the watch must still be answered
        // after the watch's stream ends, not inside it.
        try await withServer { server in
            let answers = try await TestHTTPClient(server: server).pipelined([
                "/api/v1/namespaces/other/pods?watch=1&timeoutSeconds=1", "/version",
            ])
            #expect(answers.count == 2)
            let event = JSON.parse(answers.first?.body.split(separator: UInt8(ascii: "\n")).first ?? [])
            #expect(event?["type"] == "ADDED")
            #expect(event?["object"]?["metadata"]?["name"] == "lone")
            #expect(answers.last?.json?["gitVersion"] == "v1.33.0-fake")
        }
    }
}
