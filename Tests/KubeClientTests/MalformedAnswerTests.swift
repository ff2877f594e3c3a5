import BerthTestSupport
import Foundation
import KubeAPI
import Logging
import Synchronization
import Testing

@testable import KubeClient

/// One malformed answer of the corpus: what the API server sends, and what the error must say.
struct MalformedWatchBody: Sendable, CustomTestStringConvertible {
    var name: String
    var pieces: [String]
    /// Words the error's description must contain.
    var says: String

    var testDescription: String { name }

    static let goodEvent = #"{"type":"ADDED","object":\#(MalformedAnswerTests.podJSON("a", rv: "10", kind: true))}"# + "\n"

    /// Truncated JSON, wrong types, unknown event types, a huge string, invalid UTF-16 surrogates, deep nesting and a
    /// top level that is no object. Each follows one good event, so the stream is known to work until then.
    static let corpus: [MalformedWatchBody] = [
        .init(name: "truncated event", pieces: [goodEvent, #"{"type":"MODIFIED","object":{"metadata":{"name":"a","#],
              says: "watch connection closed in the middle of an event"),
        .init(name: "name is a number", pieces: [goodEvent, #"{"type":"MODIFIED","object":{"metadata":{"name":42,"namespace":"shop"}}}"# + "\n"],
              says: "watch event did not decode"),
        .init(name: "type is a number", pieces: [goodEvent, #"{"type":7,"object":{}}"# + "\n"], says: "watch event did not decode"),
        .init(name: "unknown type", pieces: [goodEvent, #"{"type":"EXPLODED","object":{}}"# + "\n"],
              says: "unknown watch event type EXPLODED"),
        .init(name: "object is null", pieces: [goodEvent, #"{"type":"ADDED","object":null}"# + "\n"], says: "watch event did not decode"),
        .init(name: "invalid surrogate", pieces: [goodEvent, #"{"type":"MODIFIED","object":{"metadata":{"name":"\ud800\u0041","namespace":"shop"}}}"# + "\n"],
              says: "watch event did not decode"),
        .init(name: "lone low surrogate", pieces: [goodEvent, #"{"type":"MODIFIED","object":{"metadata":{"name":"x\udc00","namespace":"shop"}}}"# + "\n"],
              says: "watch event did not decode"),
        .init(name: "deep nesting", pieces: [goodEvent, #"{"type":"MODIFIED","object":{"metadata":{"labels":"# + String(repeating: "[", count: 100_000)
                                                    + String(repeating: "]", count: 100_000) + "}}}\n"],
              says: "watch event did not decode"),
        .init(name: "huge string", pieces: [goodEvent, #"{"type":"MODIFIED","object":{"metadata":{"name":""# + String(repeating: "x", count: 17 << 20)],
              says: "an event larger than 16 MiB"),
        .init(name: "array at the top level", pieces: [goodEvent, "[1,2,3]\n"], says: "'[' where a watch event (a JSON object) should start"),
    ]
}

/// Bad answers from the API server, tried on purpose: each gives a clear error naming the request, memory stays
/// bounded, the watch starts again, and the store keeps the last good state meanwhile.
@Suite struct MalformedAnswerTests: RESTTestCase {
    let pki = TestPKI.shared

    @Test(arguments: MalformedWatchBody.corpus)
    func aMalformedWatchEventIsAClearErrorAfterTheGoodOnes(_ body: MalformedWatchBody) async throws {
        let server = try await TestAPIServer { _ in .chunked(body.pieces) }
        try await withClient(configuration(port: server.port), server: server) { client in
            var events = try await client.watch(Pod.self, options: WatchOptions()).makeAsyncIterator()
            guard case .added(let pod)? = try await events.next() else {
                Issue.record("the good event did not come first")
                return
            }
            #expect(pod.metadata.name == "a")
            do {
                let event = try await events.next()
                Issue.record("decoded \(String(describing: event).prefix(200))")
            } catch let error as KubeClientError {
                #expect(error.description.hasPrefix("GET /api/v1/namespaces/shop/pods: "))
                #expect(error.description.contains(body.says), "\(error.description.prefix(300))")
                #expect(error.description.count < 1000, "the error quotes the answer")
            }
            // The stream stays ended: a caller that asks again is not fed half an object.
            #expect(try await events.next() == nil)
        }
    }

    @Test func aWatchThatTurnsToGarbageIsWatchedAgainAndTheStoreKeepsItsLastGoodState() async throws {
        let list = #"{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"10"},"items":[\#(Self.podJSON("a", rv: "8")),\#(Self.podJSON("b", rv: "9"))]}"#
        let modifiedB = #"{"type":"MODIFIED","object":\#(Self.podJSON("b", rv: "11", kind: true))}"# + "\n"
        let watches = Mutex(0)
        let server = try await TestAPIServer { request in
            guard request.query["watch"] == "true" else { return .full(.ok, body: list) }
            let count = watches.withLock { $0 += 1; return $0 }
            // The first watch turns to garbage after a good event; later ones end at once with nothing to say.
            return count == 1 ? .chunked([modifiedB, #"{"type":"MODIFIED","object":{"metadata":{"name":["b"]}}}"# + "\n"]) : .chunked([])
        }
        let statuses = Mutex<[String]>([])
        try await withClient(configuration(port: server.port), server: server) { client in
            let store = Store<Pod>()
            let reflector = Reflector(
                listerWatcher: client.listerWatcher(for: Pod.self, namespace: "shop"), store: store,
                clock: ContinuousClock(), logger: Logger(label: "test")
            ) { event in
                if case .status(let status) = event { statuses.withLock { $0.append(status.description) } }
            }
            let task = Task { await reflector.run() }
            defer { task.cancel() }
            try await eventually("the reflector backs off after the garbage") {
                statuses.withLock { $0.contains { $0.hasPrefix("backing off") } }
            }
            let backingOff = try #require(statuses.withLock { $0.first { $0.hasPrefix("backing off") } })
            #expect(backingOff.contains("WATCH pods") || backingOff.contains("GET /api/v1/namespaces/shop/pods"))
            #expect(backingOff.contains("watch event did not decode"), "\(backingOff)")
            // Meanwhile the store holds the last good state: both pods, b at its modified version.
            let snapshot = store.snapshot()
            #expect(snapshot.count == 2)
            #expect(snapshot[namespace: "shop", name: "b"]?.metadata.resourceVersion == "11")
            // Then it lists and watches again.
            try await eventually("a second watch is opened") { watches.withLock { $0 } >= 2 }
            #expect(store.snapshot().count == 2)
            #expect(server.requests.filter { $0.query["watch"] != "true" }.count >= 2, "a decoding error relists")
        }
    }

    @Test func responseHeadersPastTheLimitAreAClearErrorNotAnUnboundedBuffer() async throws {
        let huge = String(repeating: "h", count: 1 << 20)
        let server = try await TestAPIServer { _ in .full(.ok, headers: [("X-Padding", huge)], body: "{}") }
        try await withClient(configuration(port: server.port), server: server) { client in
            do {
                _ = try await client.get(Pod.self, name: "a")
                Issue.record("a megabyte of headers was accepted")
            } catch let error as KubeClientError {
                guard case .transport = error else {
                    Issue.record("expected a transport error, got \(error)")
                    return
                }
                #expect(error.description == "GET /api/v1/namespaces/shop/pods/a: no answer from the API server: the response headers are larger than 80 KiB")
            }
        }
    }

    @Test func aListWithWrongTypesIsADecodingErrorNamingTheRequest() async throws {
        let server = try await TestAPIServer { _ in .full(.ok, body: #"{"kind":"PodList","metadata":{},"items":{"a":1}}"#) }
        try await withClient(configuration(port: server.port), server: server) { client in
            do {
                _ = try await client.list(Pod.self)
                Issue.record("a list with an object for items decoded")
            } catch let error as KubeClientError {
                guard case .decoding(let request, _) = error else {
                    Issue.record("expected a decoding error, got \(error)")
                    return
                }
                #expect(request == "GET /api/v1/namespaces/shop/pods")
            }
        }
    }
}
