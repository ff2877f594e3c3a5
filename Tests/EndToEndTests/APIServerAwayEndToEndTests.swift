import BerthDaemon
import BerthTestSupport
import FakeKube
import Testing

/// An API server that goes away for a few seconds (a partition, a restart) and comes back: streams to the pod
/// cannot be opened meanwhile, which waiting fixes, so the forward is `Rebinding` with `ClusterUnreachable`, never
/// `Failed`, and it is Ready again as soon as the server answers, not after a backoff that grew meanwhile
/// (docs/controller.md, "When the API server cannot be reached"). Found by `hack/soak`: after an API-server restart
/// every forward showed `Failed` for 17 s, its six warm streams' failures having grown the retry delay to 16 s.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct APIServerAwayEndToEndTests {
    @Test func aForwardRebindsWhileTheAPIServerIsAwayAndIsReadyOnceItAnswers() async throws {
        try await LoneForward.with { harness, lone in
            harness.server.partition(seconds: 4)
            try await awaitStatus(lone.daemon, "lone Rebinding for an unreachable API server") {
                $0["lone"]?.phase == .rebinding && $0["lone"]?.reason == .clusterUnreachable
            }
            try await awaitStatus(lone.daemon, within: 60, "lone Ready again") { $0.isPhase("lone", .ready) }
            let answer = try await TestHTTP.get(port: lone.port)
            #expect(answer.contains("\"pod\":\"lone\""), "\(answer.prefix(200))")

            let states = lone.recorder.states
            #expect(!states.contains { $0.hasPrefix("Failed") }, "the forward showed Failed: \(states)")
            #expect(lone.log.lines.contains { $0.contains("the API server answers again") }, "\(lone.log.lines.suffix(20))")
        }
    }

    /// A forward with no warm streams and no connection opens no stream while the server is away: only its
    /// watches notice. They too bring the recovery, so the watches do not wait out a backoff that grew meanwhile
    /// (the soak's debug log: a pods watch backing off 21 s after an instant API-server restart); and a watch
    /// retried keeps its store, so the forward is Ready throughout.
    @Test func watchesThatFindTheAPIServerAwayBringTheRecoveryWhenNoStreamDoes() async throws {
        try await LoneForward.with(warm: 0) { harness, lone in
            harness.server.partition(seconds: 3)
            try await eventually("the watches' failures bringing the recovery", within: 60) {
                lone.log.lines.contains { $0.contains("the API server answers again") }
            }
            let answer = try await TestHTTP.get(port: lone.port)
            #expect(answer.contains("\"pod\":\"lone\""), "\(answer.prefix(200))")
            #expect(lone.recorder.states.allSatisfy { $0.hasPrefix("Ready") }, "the forward left Ready: \(lone.recorder.states)")
        }
    }
}
