import FakeKube
import Foundation
import KubeAPI
import KubeClient
import Testing

/// Response headers past KubeClient's limit from a real API server's wire (FakeKube's `chaos/header-padding`): a
/// clear error naming the request, for plain requests and watches alike, read no further than the limit; and
/// answers are read again once the headers are sane. The in-process corpus is `MalformedAnswerTests`.
@Suite(.timeLimit(.minutes(2)))
struct HeaderPaddingAgainstFakeKubeTests {
    static let limit = "the response headers are larger than 80 KiB"

    @Test func oversizedHeadersAreAClearErrorThenAnswersAreReadAgain() async throws {
        try await FakeKubeFixture.with { fixture in
            try await fixture.withClient { client in
                fixture.server.setHeaderPadding(bytes: 8 << 20)
                do {
                    _ = try await client.get(Pod.self, name: "lonely", namespace: "team")
                    Issue.record("8 MiB of headers were accepted")
                } catch let error as KubeClientError {
                    #expect(error.description == "GET /api/v1/namespaces/team/pods/lonely: no answer from the API server: \(Self.limit)")
                }
                do {
                    var events = try await client.watch(Pod.self, namespace: "team").makeAsyncIterator()
                    let event = try await events.next()
                    Issue.record("a watch with 8 MiB of headers gave \(String(describing: event).prefix(100))")
                } catch let error as KubeClientError {
                    #expect(error.description.hasPrefix("GET /api/v1/namespaces/team/pods"), "\(error.description)")
                    #expect(error.description.hasSuffix(Self.limit), "\(error.description)")
                }
                fixture.server.setHeaderPadding(bytes: 0)
                let pod = try await client.get(Pod.self, name: "lonely", namespace: "team")
                #expect(pod.metadata.name == "lonely")
            }
        }
    }

    @Test func headersJustUnderTheLimitAreRead() async throws {
        try await FakeKubeFixture.with { fixture in
            try await fixture.withClient { client in
                fixture.server.setHeaderPadding(bytes: 60 << 10)
                let pod = try await client.get(Pod.self, name: "lonely", namespace: "team")
                #expect(pod.metadata.name == "lonely")
            }
        }
    }
}
