import Foundation
import KubeAPI
import Logging
import NIOCore
import Testing

@testable import KubeClient

/// Watch requests of the REST client over real HTTPS: framing, clean end, broken connections, refusals.
@Suite struct RESTWatchTests: RESTTestCase {
    let pki = TestPKI.shared

    @Test func watchSplitAtOddByteBoundariesEndsCleanly() async throws {
        let events = [
            #"{"type":"ADDED","object":\#(Self.podJSON("a", rv: "10", kind: true))}"#,
            #"{"type":"MODIFIED","object":\#(Self.podJSON("a", rv: "11", kind: true))}"#,
            #"{"type":"BOOKMARK","object":{"kind":"Pod","apiVersion":"v1","metadata":{"resourceVersion":"12","creationTimestamp":null}}}"#,
            #"{"type":"DELETED","object":\#(Self.podJSON("a", rv: "13", kind: true))}"#,
            #"{"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"too old resource version: 1 (5)","reason":"Expired","code":410}}"#,
        ]
        let body = Array(events.map { $0 + "\n" }.joined().utf8)
        var pieces: [String] = []
        var offset = 0
        for size in [1, 7, 3, 64, 2, 129, 5] where offset < body.count {
            let end = min(offset + size, body.count)
            pieces.append(String(decoding: body[offset..<end], as: UTF8.self))
            offset = end
        }
        if offset < body.count { pieces.append(String(decoding: body[offset...], as: UTF8.self)) }
        // Piece boundaries fall inside multi-byte-free ASCII, so String slices round-trip exactly.
        #expect(pieces.joined().utf8.count == body.count)
        let chunks = pieces
        let server = try await TestAPIServer { _ in .chunked(chunks) }
        try await withClient(configuration(port: server.port), server: server) { client in
            let stream = try await client.listerWatcher(for: Pod.self, namespace: "shop")
                .watch(WatchOptions(resourceVersion: "9", timeoutSeconds: 300))
            var seen: [String] = []
            for try await event in stream {
                switch event {
                case .added(let pod): seen.append("added \(pod.metadata.name ?? "") \(pod.metadata.resourceVersion ?? "")")
                case .modified(let pod): seen.append("modified \(pod.metadata.resourceVersion ?? "")")
                case .deleted(let pod): seen.append("deleted \(pod.metadata.resourceVersion ?? "")")
                case .bookmark(let rv): seen.append("bookmark \(rv)")
                case .error(let status): seen.append("error \(status.code ?? 0) \(status.isExpired)")
                }
            }
            #expect(seen == ["added a 10", "modified 11", "bookmark 12", "deleted 13", "error 410 true"])
            let query = try #require(server.requests.first?.query)
            #expect(query["watch"] == "true")
            #expect(query["resourceVersion"] == "9")
            #expect(query["allowWatchBookmarks"] == "true")
            #expect(query["timeoutSeconds"] == "300")
        }
    }

    @Test func brokenWatchThrowsTransport() async throws {
        let first = #"{"type":"ADDED","object":\#(Self.podJSON("a", rv: "10", kind: true))}"# + "\n"
        let server = try await TestAPIServer { _ in .chunked([first, #"{"type":"MODIFIED","obj"#], abort: true) }
        try await withClient(configuration(port: server.port), server: server) { client in
            let stream = try await client.watch(Pod.self, options: WatchOptions())
            var iterator = stream.makeAsyncIterator()
            let event = try await iterator.next()
            guard case .added(let pod) = event else {
                Issue.record("expected ADDED, got \(String(describing: event))")
                return
            }
            #expect(pod.metadata.name == "a")
            do {
                _ = try await iterator.next()
                Issue.record("a cut connection ended the watch cleanly")
            } catch KubeClientError.transport(let request, _) {
                #expect(request == "GET /api/v1/namespaces/shop/pods")
            }
        }
    }

    @Test func refusedWatchIsAnAPIError() async throws {
        let status = #"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"too old resource version: 1 (5)","reason":"Expired","code":410}"#
        let server = try await TestAPIServer { _ in .full(.gone, body: status) }
        try await withClient(configuration(port: server.port), server: server) { client in
            let watcher: any ListerWatcher<Pod> = client.listerWatcher(for: Pod.self, namespace: nil)
            do {
                _ = try await watcher.watch(WatchOptions(resourceVersion: "1"))
                Issue.record("expected 410")
            } catch let error as KubeClientError {
                #expect(error.isExpired)
                guard case .api(_, let request, _) = error else {
                    Issue.record("expected .api, got \(error)")
                    return
                }
                #expect(request == "GET /api/v1/pods")
            }
        }
    }
}
