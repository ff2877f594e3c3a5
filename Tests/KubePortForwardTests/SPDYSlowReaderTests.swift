import BerthTestSupport
import FakeKube
import NIOCore
import NIOPosix
import Synchronization
import Testing

@testable import KubePortForward

// Backpressure as the kubelet speaks SPDY: no send credit exists, so a stream whose reader stops may only
// buffer so much, and then its whole session stops reading (docs/port-forward.md, "Backpressure").
@Suite(.timeLimit(.minutes(1)))
struct SPDYSlowReaderTests {
    private final class DoneFlag: Sendable { let value = Atomic(false) }

    /// Bytes buffered by a stream channel, read on its loop.
    private func buffered(_ channel: any Channel) async throws -> Int {
        try await channel.eventLoop.submit { (channel as? SPDYStreamChannel)?.bufferedInbound ?? -1 }.get()
    }

    @Test func aStalledReaderBoundsMemoryAndHoldsOnlyItsOwnSession() async throws {
        let fixture = try await SPDYSessionFixture.start()
        let session = try await fixture.session(.spdy)
        let other = try await fixture.session(.spdy)

        // A stream from the endless source whose reader never reads.
        let stalled = try await session.openStream(port: SPDYSessionFixture.sourcePort) { channel in
            channel.setOption(.autoRead, value: false)
        }.get()
        let limit = SPDYStreamChannel.inboundBufferLimit
        try await eventually("the stalled stream's buffer to fill") { try await buffered(stalled) >= limit }
        let atStall = try await buffered(stalled)
        #expect(atStall >= limit)
        // What is buffered past the limit is at most the frames of one read of the connection.
        #expect(atStall <= limit + SPDYClientSessionHandler.maximumDataFrame + 64 * 1024)

        // A second stream of the same session waits for the stalled one ...
        let clock = ContinuousClock()
        let sameDone = DoneFlag()
        let sameSession = Task {
            let reply = try await echoRoundTrip(try await openAsyncStream(session, port: SPDYSessionFixture.echoPort), payload: ByteBuffer(string: "same"))
            sameDone.value.store(true, ordering: .releasing)
            return reply
        }
        // ... while a stream of another session to the same pod is served at once.
        let otherStart = clock.now
        let otherReply = try await echoRoundTrip(
            try await openAsyncStream(other, port: SPDYSessionFixture.echoPort), payload: ByteBuffer(string: "other"))
        let otherLatency = clock.now - otherStart
        #expect(String(buffer: otherReply) == "other")

        // Give the same-session stream the time the other one needed, many times over: still nothing.
        try await Task.sleep(for: max(otherLatency * 10, .milliseconds(200)))
        #expect(try await buffered(stalled) == atStall)
        let sameFinished = sameDone.value.load(ordering: .acquiring)
        #expect(!sameFinished)
        let stalledStillThere = try await buffered(stalled)
        #expect(stalledStillThere <= limit + SPDYClientSessionHandler.maximumDataFrame + 64 * 1024)

        // The reader comes back: the session reads again and the waiting stream completes.
        let resumed = clock.now
        try await stalled.setOption(.autoRead, value: true).get()
        let sameReply = try await sameSession.value
        let sameLatency = clock.now - resumed
        #expect(String(buffer: sameReply) == "same")
        print("slow reader: \(atStall) bytes buffered at the stall (limit \(limit)); another session answered in \(otherLatency); the stalled session's other stream answered \(sameLatency) after the reader resumed")

        try await stalled.close()
        session.close()
        other.close()
        await fixture.shutdown()
    }
}
