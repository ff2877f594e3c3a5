import BerthDaemon
import BerthTestSupport
import FakeKube
import Testing

/// Malformed watch events on berth's live watches, sent by the API server itself (FakeKube's
/// `chaos/malformed-watch-event`): the forward keeps carrying connections, the watch starts again and the log names
/// the problem with its request once; the forward stays Ready throughout (docs/fake-kube.md, docs/informers.md).
@Suite(.serialized, .timeLimit(.minutes(2)))
struct MalformedWatchEndToEndTests {
    /// Words of the error each kind of bad event must be logged with.
    static func says(_ malformed: MalformedWatchEvent) -> String {
        switch malformed {
        case .truncated: "watch connection closed in the middle of an event"
        case .wrongTypes, .loneSurrogate: "watch event did not decode"
        case .hugeString: "an event larger than 16 MiB"
        }
    }

    @Test(arguments: MalformedWatchEvent.allCases)
    func aForwardStaysReadyThroughAMalformedWatchEventAndTheLogNamesItOnce(_ malformed: MalformedWatchEvent) async throws {
        try await LoneForward.with { harness, lone in
            let (daemon, port, recorder, log) = (lone.daemon, lone.port, lone.recorder, lone.log)
            let server = harness.server
            // Ready comes with the first list; the watch opens right after it.
            try await eventually("the pods watch is open") {
                server.stats().count(verb: "watch", resource: "pods") >= 1 && server.stats().openWatches >= 1
            }
            let watches = server.stats().count(verb: "watch", resource: "pods")
            #expect(server.sendMalformedWatchEvent(malformed, resource: .pods) >= 1, "no pods watch was open")
            try await eventually("the pods watch starts again", within: 30) {
                server.stats().count(verb: "watch", resource: "pods") > watches
            }
            let answer = try await TestHTTP.get(port: port)
            #expect(answer.contains("\"pod\":\"lone\""), "\(answer.prefix(200))")
            #expect(await daemon.status().isPhase("lone", .ready))
            let states = recorder.states
            let lines = log.lines.filter { $0.contains(Self.says(malformed)) }
            #expect(!lines.isEmpty, "the log does not name the problem")
            #expect(lines.contains { $0.contains("/pods") }, "the log names the request: \(lines)")
            #expect(lines.allSatisfy { $0.count < 1500 }, "a line quotes the answer: \(lines)")
            // A synced store keeps its last good state through a failing watch: Ready throughout, said once.
            #expect(states.allSatisfy { $0.hasPrefix("Ready") }, "the forward left Ready: \(states)")
            #expect(lines.count == 1, "\(lines)")
        }
    }
}
