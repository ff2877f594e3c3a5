import BerthTestSupport
import FakeKube
import Synchronization
import Testing

/// `POST /fake/v1/chaos/malformed-watch-event`: the bytes it puts on live watches, exactly, and what it refuses.
@Suite struct MalformedWatchEventTests {
    @Test func wrongTypesArriveAsOneLineOfValidJSONOnTheWatchedResourceOnly() async throws {
        try await withServer { server in
            let client = TestHTTPClient(server: server)
            let events = Mutex<[JSON]>([])
            async let pods = client.watch("/api/v1/pods?watch=1") { event in
                events.withLock { $0.append(event) }
                return event["object"]?["metadata"]?["name"] != 42
            }
            async let services = client.watch("/api/v1/services?watch=1&timeoutSeconds=1") { _ in true }
            try await eventually("both watches open") { server.stats().openWatches == 2 }
            let sent = try await client.request(.POST, "/fake/v1/chaos/malformed-watch-event?kind=wrong-types&resource=pods")
            #expect(sent.status == .ok)
            #expect(sent.json?["message"] == "sent a wrong-types event on 1 watches")
            _ = try await pods
            let seen = events.withLock { $0 }
            let bad = try #require(seen.last)
            #expect(bad["type"] == "MODIFIED")
            #expect(bad["object"]?["kind"] == "Pod")
            #expect(bad["object"]?["metadata"]?["namespace"] == ["default"])
            #expect(seen.dropLast().allSatisfy { $0["type"] == "ADDED" }, "only the initial pods came before it")
            #expect(try await services == .ok, "the services watch got nothing and timed out cleanly")
        }
    }

    @Test func aTruncatedEventIsHalfALineThenTheEndOfTheStream() async throws {
        try await withServer { server in
            let client = TestHTTPClient(server: server)
            async let watching = client.watch("/api/v1/pods?watch=1") { _ in true }
            try await eventually("watch open") { server.stats().openWatches == 1 }
            #expect(server.sendMalformedWatchEvent(.truncated) == 1)
            do {
                _ = try await watching
                Issue.record("the stream ended on a whole line")
            } catch TestClientError.badEvent(let text) {
                #expect(text.hasPrefix(#"unterminated: {"type":"MODIFIED","object":{"kind":"Pod""#), "\(text)")
            }
            #expect(server.stats().openWatches == 0, "the server forgot the watch it ended")
        }
    }

    @Test func anUnknownKindOrResourceIsRefusedNamingTheChoices() async throws {
        try await withServer { server in
            let client = TestHTTPClient(server: server)
            let kind = try await client.request(.POST, "/fake/v1/chaos/malformed-watch-event?kind=nonsense")
            #expect(kind.status == .badRequest)
            #expect(kind.json?["message"] == "query parameter kind is required (one of truncated, wrong-types, huge-string, lone-surrogate)")
            let resource = try await client.request(.POST, "/fake/v1/chaos/malformed-watch-event?kind=truncated&resource=widgets")
            #expect(resource.status == .badRequest)
            #expect(resource.json?["message"]?.stringValue?.hasPrefix("unknown resource widgets") == true)
        }
    }
}
