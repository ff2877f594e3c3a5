import FakeKube
import Foundation
import KubeAPI
import KubeClient
import Testing

/// Malformed watch events from a real API server's wire (FakeKube's `chaos/malformed-watch-event`), after good
/// ones on a live watch: each is a clear error naming the request, and the stream ends instead of feeding half an
/// object. The decoder's own corpus is `MalformedAnswerTests`.
@Suite(.timeLimit(.minutes(2)))
struct MalformedWatchAgainstFakeKubeTests {
    /// What the error must say for each kind of bad event.
    static func says(_ malformed: MalformedWatchEvent) -> String {
        switch malformed {
        case .truncated: "watch connection closed in the middle of an event"
        case .wrongTypes, .loneSurrogate: "watch event did not decode"
        case .hugeString: "an event larger than 16 MiB"
        }
    }

    @Test(arguments: MalformedWatchEvent.allCases)
    func aMalformedEventOnALiveWatchIsAClearError(_ malformed: MalformedWatchEvent) async throws {
        try await FakeKubeFixture.with { fixture in
            try await fixture.withClient { client in
                var events = try await client.watch(Pod.self, namespace: "team").makeAsyncIterator()
                // The initial ADDEDs come once the watch is registered, so the bad event reaches this stream.
                guard case .added? = try await events.next() else {
                    Issue.record("the watch did not start with the pods")
                    return
                }
                #expect(fixture.server.sendMalformedWatchEvent(malformed, resource: .pods) == 1)
                do {
                    while let event = try await events.next() {
                        guard case .added = event else {
                            Issue.record("decoded \(String(describing: event).prefix(200))")
                            return
                        }
                    }
                    Issue.record("the stream ended cleanly after a \(malformed.rawValue) event")
                } catch let error as KubeClientError {
                    #expect(error.description.hasPrefix("GET /api/v1/namespaces/team/pods"), "\(error.description.prefix(300))")
                    #expect(error.description.contains(Self.says(malformed)), "\(error.description.prefix(300))")
                    #expect(error.description.count < 1000, "the error quotes the answer")
                }
                #expect(try await events.next() == nil, "a stream that failed stays ended")
            }
        }
    }
}
