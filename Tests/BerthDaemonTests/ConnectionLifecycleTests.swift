import BerthTestSupport
import NIOCore
import Synchronization
import Testing

@testable import BerthDaemon

/// The connection rules: a connection ends for an upstream failure only once its bytes may have reached a
/// pod. One whose stream never reached a pod goes back to the hold queue, keeping what the client sent, and
/// is bridged to the next endpoint; one bridged to a pod drains there however the endpoint moves, until the
/// pod or its stream ends it, or the pod is gone.
@Suite struct ConnectionLifecycleTests {
    /// A deleted pod: opening a stream to it fails (the API server says NotFound). The connection waits for
    /// the next pod instead of being reset, and that pod gets every byte the client sent meanwhile.
    @Test func aConnectionWhoseStreamCannotBeOpenedWaitsForTheNextPod() async throws {
        let podB = try await TestServer.start(.echo(greeting: "B"))
        // Nothing serves pod a: every open to it fails, as to a pod that was just deleted.
        let connector = CountingConnector(servers: [pod("b"): podB])
        try await withForward(.init(name: "gone", holdTimeout: .seconds(20), warmStreams: 0), connector: connector, endpoint: pod("a")) { forward in
            try await withTimeout(30, "held after a failed open, then bridged") {
                let client = try await connectClient(port: forward.port)
                try await client.executeThenClose { (inbound, outbound) async throws in
                    try await outbound.write(ByteBuffer(string: "hello"))
                    try await eventually("the open to pod a failed") { connector.connectCalls >= 1 }
                    try await eventually("connection held again") { await forward.counters().heldConnections == 1 }
                    await forward.setEndpoint(pod("b"))
                    var reader = inbound.makeAsyncIterator()
                    #expect(try await reader.read(count: 6) == "Bhello")
                }
            }
            let counters = await forward.counters()
            #expect(counters.errorCount(.reheld) >= 1)
            #expect(counters.errorCount(.upstreamConnectFailed) == 0)
        }
        await podB.stop()
    }

    /// What a force-deleted pod looks like from the data plane: its warm stream dies, and a fresh open is
    /// refused (NotFound). The connection that arrives then waits for the next pod instead of being reset.
    @Test func aConnectionArrivingAsItsPodIsDeletedWaitsForTheNextPod() async throws {
        // Pod a closes every connection: the warm stream dies at once.
        let podA = try await TestServer.start(.echo(greeting: nil), closeFirst: 1000)
        let podB = try await TestServer.start(.echo(greeting: "B"))
        // After the warm stream's open, pod a is gone from the API: opens to it fail.
        let connector = DeletedPodConnector(servers: [pod("a"): podA, pod("b"): podB], deleted: pod("a"), opensBeforeDeletion: 1)
        try await withForward(.init(name: "deleted", holdTimeout: .seconds(20), warmStreams: 1), connector: connector, endpoint: pod("a")) { forward in
            // Closed at once, the stream dies in the pool, or already during its open: either way it is gone.
            try await eventually("the warm stream died") {
                let counters = await forward.counters()
                return counters.errorCount(.warmStreamDied) + counters.errorCount(.warmConnectFailed) >= 1
            }
            try await withTimeout(30, "held after the pod was deleted, then bridged") {
                let client = try await connectClient(port: forward.port)
                try await client.executeThenClose { (inbound, outbound) async throws in
                    try await outbound.write(ByteBuffer(string: "hi"))
                    try await eventually("connection held again") { await forward.counters().heldConnections == 1 }
                    await forward.setEndpoint(pod("b"))
                    var reader = inbound.makeAsyncIterator()
                    #expect(try await reader.read(count: 3) == "Bhi")
                }
            }
        }
        await podA.stop()
        await podB.stop()
    }

    /// Held again, a connection still waits no longer than its hold.
    @Test func aReheldConnectionIsClosedWhenItsHoldRunsOut() async throws {
        let connector = CountingConnector(servers: [:])
        try await withForward(.init(name: "nowhere", holdTimeout: .milliseconds(600), warmStreams: 0), connector: connector, endpoint: pod("a")) { forward in
            let reply = try await sendAndReadToEnd("x", port: forward.port, "closed after the hold")
            #expect(reply == "")
            #expect(await forward.counters().errorCount(.holdTimedOut) == 1)
            #expect(await forward.counters().heldConnections == 0)
        }
    }

    /// A rollout picks another pod for new connections; the open one stays with its pod (still serving its
    /// grace period) and is shown as draining, until that pod is gone from the API.
    @Test func anOpenConnectionDrainsOnItsPodAfterTheEndpointMoves() async throws {
        let podA = try await TestServer.start(.echo(greeting: "A"))
        let podB = try await TestServer.start(.echo(greeting: "B"))
        let connector = CountingConnector(servers: [pod("a"): podA, pod("b"): podB])
        try await withForward(.init(name: "drain", warmStreams: 0), connector: connector, endpoint: pod("a")) { forward in
            try await withTimeout(30, "drain, then pod gone") {
                let old = try await connectClient(port: forward.port)
                try await old.executeThenClose { (oldIn, oldOut) async throws in
                    var oldReader = oldIn.makeAsyncIterator()
                    #expect(try await oldReader.read(count: 1) == "A")

                    await forward.setEndpoint(pod("b"))
                    try await oldOut.write(ByteBuffer(string: "still"))
                    #expect(try await oldReader.read(count: 5) == "still")
                    #expect(await forward.counters().drainingConnections == 1)
                    let reply = try await sendAndReadToEnd("new", port: forward.port, "new connection")
                    #expect(reply == "Bnew")
                    // The client's close reaches the forward a moment after the client saw the end; until then
                    // the new connection is open, and would count as draining once the endpoint is cleared.
                    try await eventually("the new connection closed") { await forward.counters().openConnections == 1 }

                    // Clearing the endpoint (no ready pod) leaves it alone too.
                    await forward.clearEndpoint(reason: "no ready pod")
                    try await oldOut.write(ByteBuffer(string: "again"))
                    #expect(try await oldReader.read(count: 5) == "again")

                    // Pod a is gone from the API: its connections are dead, close them.
                    await forward.closeConnections(exceptToPods: ["uid-b"], reason: "pod deleted")
                    #expect(await oldReader.readToEnd() == "")
                }
            }
            let counters = await forward.counters()
            #expect(counters.errorCount(.endpointGone) == 1)
            #expect(counters.drainingConnections == 0)
        }
        await podA.stop()
        await podB.stop()
    }
}

/// Dials the test servers, except that opens to `deleted` fail as for a deleted pod once
/// `opensBeforeDeletion` of them went through.
final class DeletedPodConnector: UpstreamConnector {
    private let inner: CountingConnector
    private let deleted: UpstreamEndpoint
    private let opensLeft: Mutex<Int>

    init(servers: [UpstreamEndpoint: TestServer], deleted: UpstreamEndpoint, opensBeforeDeletion: Int) {
        inner = CountingConnector(servers: servers)
        self.deleted = deleted
        opensLeft = Mutex(opensBeforeDeletion)
    }

    func connect(to endpoint: UpstreamEndpoint, on eventLoop: any EventLoop) async throws -> UpstreamStream {
        if endpoint == deleted {
            let allowed = opensLeft.withLock { left in
                defer { left -= 1 }
                return left > 0
            }
            if !allowed {
                throw BerthDaemonError.upstreamRefused(
                    forward: "deleted", endpoint: endpoint, reason: .notFound, message: "not found: pods \"\(endpoint.podName)\" not found")
            }
        }
        return try await inner.connect(to: endpoint, on: eventLoop)
    }
}
