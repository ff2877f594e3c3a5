import BerthMetrics
import BerthTestSupport
import Foundation
import Logging
import NIOCore
import NIOPosix
import Synchronization
import Testing

@testable import BerthDaemon

/// A connector that dials test servers and counts its calls, so tests can tell a warm hand-off
/// from a connect on the accept path.
final class CountingConnector: UpstreamConnector {
    private let inner: TCPUpstreamConnector
    private let calls = Atomic<Int>(0)
    private let gate: ConnectGate?
    private let ungated: Int
    private let multiplexed: Bool
    private let openTime: Duration

    /// With a `gate`, every connect after the first `ungated` ones waits until the gate opens; `multiplexed`
    /// marks every stream as riding a shared session, as SPDY streams do; `openTime` is how long each open takes,
    /// as a round trip to a distant API server would.
    init(
        supportsHalfClose: Bool = true, servers: [UpstreamEndpoint: TestServer], gate: ConnectGate? = nil, ungated: Int = 0,
        multiplexed: Bool = false, openTime: Duration = .zero
    ) {
        let addresses = servers.mapValues(\.address)
        inner = TCPUpstreamConnector(supportsHalfClose: supportsHalfClose) { addresses[$0] }
        self.gate = gate
        self.ungated = ungated
        self.multiplexed = multiplexed
        self.openTime = openTime
    }

    var connectCalls: Int { calls.load(ordering: .relaxed) }

    func connect(to endpoint: UpstreamEndpoint, on eventLoop: any EventLoop) async throws -> UpstreamStream {
        let call = calls.add(1, ordering: .relaxed).newValue
        if let gate, call > ungated { await gate.pass() }
        if openTime > .zero { try await Task.sleep(for: openTime) }
        let stream = try await inner.connect(to: endpoint, on: eventLoop)
        return UpstreamStream(channel: stream.channel, supportsHalfClose: stream.supportsHalfClose, multiplexed: multiplexed)
    }
}

/// Holds connects back until the test opens it, so a stream stays "being opened" as long as a test needs.
final class ConnectGate: Sendable {
    private let state = Mutex<(open: Bool, waiting: [CheckedContinuation<Void, Never>])>((false, []))

    /// Returns at once when the gate is open, else when it opens.
    func pass() async {
        await withCheckedContinuation { continuation in
            let now = state.withLock { state in
                if !state.open { state.waiting.append(continuation) }
                return state.open
            }
            if now { continuation.resume() }
        }
    }

    /// Lets every waiting and future connect through.
    func open() {
        let waiting = state.withLock { state in
            state.open = true
            defer { state.waiting = [] }
            return state.waiting
        }
        for continuation in waiting { continuation.resume() }
    }
}

enum TestTimeout: Error { case expired(String) }

/// A logger that stays quiet; the data plane's own logging is not what these tests check.
/// Set `BERTH_TEST_LOG=1` to see it when debugging.
let quietLogger: Logger = {
    if ProcessInfo.processInfo.environment["BERTH_TEST_LOG"] != nil {
        var logger = Logger(label: "berth.test") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = .trace
        return logger
    }
    return Logger(label: "berth.test") { _ in SwiftLogNoOpLogHandler() }
}()

func pod(_ name: String, port: Int = 8080) -> UpstreamEndpoint {
    UpstreamEndpoint(namespace: "default", podName: name, podUID: "uid-\(name)", port: port)
}

/// Binds a forward on 127.0.0.1:0 and runs it while `body` runs; the forward is stopped after.
func withForward<T: Sendable>(
    _ configuration: ForwardConfiguration,
    connector: any UpstreamConnector,
    endpoint: UpstreamEndpoint? = nil,
    metrics: ForwardMetrics? = nil,
    clock: any Clock<Duration> = ContinuousClock(),
    upstreamChanged: @escaping @Sendable () -> Void = {},
    _ body: (Forward) async throws -> T
) async throws -> T {
    let listener = try await ForwardListener.bind(
        host: "127.0.0.1",
        port: 0,
        eventLoop: MultiThreadedEventLoopGroup.singleton.next()
    )
    let forward = Forward(
        listener: listener, configuration: configuration, connector: connector, clock: clock, logger: quietLogger,
        metrics: metrics, upstreamChanged: upstreamChanged)
    if let endpoint { await forward.setEndpoint(endpoint) }
    // Not a task group: a forward that does not end when cancelled must fail the test, and a group would wait for it.
    let run = Task { try await forward.run() }
    return try await withTaskCancellationHandler {
        do {
            try await eventually("forward running") { await forward.lifecycle == .running }
            let result = try await body(forward)
            run.cancel()
            try await awaitEnd(of: run, "the forward, cancelled")
            return result
        } catch {
            run.cancel()
            _ = try? await awaitEnd(of: run, "the forward, cancelled after a failure")
            throw error
        }
    } onCancel: {
        run.cancel()
    }
}

/// A test's client connection. A test that fails (or times out) before it reaches `executeThenClose`
/// still finishes the writer and closes the socket here, so a failure stays a failure instead of
/// NIO's "deinited NIOAsyncWriter without calling finish()" abort taking down the whole suite.
final class TestClient: Sendable {
    let asyncChannel: NIOAsyncChannel<ByteBuffer, ByteBuffer>

    /// The underlying NIO channel, for tests that look at the socket itself.
    var channel: any Channel { asyncChannel.channel }

    init(_ asyncChannel: NIOAsyncChannel<ByteBuffer, ByteBuffer>) {
        self.asyncChannel = asyncChannel
    }

    deinit {
        // Closing the channel also ends the outbound writer.
        asyncChannel.channel.close(promise: nil)
    }

    func executeThenClose<R: Sendable>(
        _ body: (NIOAsyncChannelInboundStream<ByteBuffer>, NIOAsyncChannelOutboundWriter<ByteBuffer>) async throws -> R
    ) async throws -> R {
        try await asyncChannel.executeThenClose(body)
    }
}

/// Connects a client to `port` on 127.0.0.1; its outbound `finish()` sends a FIN.
func connectClient(port: Int) async throws -> TestClient {
    TestClient(try await connectLoopback(port: port))
}

/// Fails the test if `body` takes longer than `seconds`; the bound keeps a hang from stalling the suite.
/// `body` runs in a task of its own: a task group would wait for a body that ignores cancellation (a gate, a
/// continuation), and so hang anyway. On time-out it is cancelled and left behind.
func withTimeout<T: Sendable>(
    _ seconds: Int = 10,
    _ what: String,
    _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    let task = Task { try await body() }
    return try await withTaskCancellationHandler {
        try await awaitEnd(of: task, within: Double(seconds), what)
    } onCancel: {
        task.cancel()
    }
}

extension NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator {
    /// Reads until `count` bytes arrived or the stream ended.
    mutating func read(count: Int) async throws -> String {
        var collected = ByteBuffer()
        while collected.readableBytes < count, var next = try await self.next() {
            collected.writeBuffer(&next)
        }
        return String(buffer: collected)
    }

    /// Reads until the stream ends (EOF or close); returns what arrived.
    mutating func readToEnd() async -> String {
        var collected = ByteBuffer()
        do {
            while var next = try await self.next() {
                collected.writeBuffer(&next)
            }
        } catch {
            // A reset counts as the end too.
        }
        return String(buffer: collected)
    }
}

/// Connects to `port`, sends `text` and a FIN, and returns everything that came back until the end.
func sendAndReadToEnd(_ text: String, port: Int, _ what: String) async throws -> String {
    try await withTimeout(30, what) {
        let client = try await connectClient(port: port)
        return try await client.executeThenClose { (inbound, outbound) async throws in
            try await outbound.write(ByteBuffer(string: text))
            outbound.finish()
            var reader = inbound.makeAsyncIterator()
            return await reader.readToEnd()
        }
    }
}
