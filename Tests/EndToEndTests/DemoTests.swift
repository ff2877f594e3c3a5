import BerthDaemon
import BerthWeb
import Foundation
import Logging
import NIOCore
import NIOPosix
import Synchronization
import Testing

@testable import berth

/// `berth demo`, in process: FakeKube, the daemon, the request loop and the pod killer, for a few seconds.
@Suite struct DemoTests {
    @Test func demoCarriesTrafficAcrossPodDeletionsAndReportsRebinds() async throws {
        let lines = Lines()
        let (printed, sink) = AsyncStream.makeStream(of: String.self)
        let console = DemoConsole(mode: .plain) { text in
            lines.append(text)
            sink.yield(text)
        }
        let runner = DemoRunner(
            options: .init(duration: .seconds(30), killEvery: .seconds(1), freePorts: true, progressEvery: .seconds(1)),
            console: console, logger: Harness.quiet, clock: ContinuousClock())
        let run = Task {
            defer { sink.finish() }
            return try await runner.run()
        }
        // A round of deletions and the first rebind it caused, printed as it happens: then Ctrl-C. The duration
        // only bounds a demo that never rebinds.
        for await text in printed where text.contains("rebound") {
            runner.stop()
            break
        }
        let summary = try await run.value
        let output = lines.text

        // The loop makes a request every 50 ms per port when replies are quick; a loaded debug build is slower.
        #expect(summary.requests >= 20, "the request loop should run:\n\(output)")
        #expect(summary.targets.count == 4, "web, api (two ports) and db should all carry requests:\n\(output)")
        #expect(summary.killRounds >= 1 && summary.podsDeleted >= 5 * summary.killRounds,
                "each round deletes web ×2, api ×1, postgres ×2:\n\(output)")
        #expect(summary.rebinds >= 1, "a deletion should show as a rebind:\n\(output)")
        #expect(output.contains("rebound"), "each rebind is printed as it happens:\n\(output)")
        #expect(output.contains("NAME") && output.contains("Ready"), "the status table is shown:\n\(output)")
        // berth holds the connections made while a forward has no pod, so only a request in flight when its pod
        // dies can fail: at most one per port per round of deletions.
        #expect(summary.failures <= summary.killRounds * summary.targets.count, "\(summary.render())\n\(output)")
        #expect(summary.render().contains("\(summary.requests) sent, \(summary.failures) failed"))
    }

    @Test func stopEndsTheDemoWithASummary() async throws {
        let (printed, sink) = AsyncStream.makeStream(of: String.self)
        let console = DemoConsole(mode: .plain) { sink.yield($0) }
        let runner = DemoRunner(
            options: .init(duration: .seconds(30), killEvery: .seconds(60), freePorts: true),
            console: console, logger: Harness.quiet, clock: ContinuousClock())
        async let summary = runner.run()
        // The status table is printed once every forward is Ready: then Ctrl-C.
        for await text in printed where text.contains("NAME") {
            runner.stop()
            break
        }
        let result = try await summary
        sink.finish()
        #expect(result.podsDeleted == 0)
        #expect(result.elapsed < .seconds(30), "stop() should end the demo before its duration")
    }
}

/// `berth demo --ui --metrics`: the dashboard and `/metrics` of the demo's daemon, their URLs in the header.
@Suite struct DemoWebServerTests {
    @Test func theDashboardAndMetricsServeTheDemosDaemon() async throws {
        let (printed, sink) = AsyncStream.makeStream(of: String.self)
        let console = DemoConsole(mode: .plain) { sink.yield($0) }
        let runner = DemoRunner(
            options: .init(duration: .seconds(60), killEvery: .seconds(60), freePorts: true,
                           metrics: ListenAddress(port: 0), ui: ListenAddress(port: 0)),
            console: console, logger: Harness.quiet, clock: ContinuousClock())
        async let summary = runner.run()
        var output = ""
        // Both URLs, and the status table once every forward is Ready.
        for await text in printed {
            output += text
            if output.contains("  dashboard   "), output.contains("  metrics     "), output.contains("NAME") { break }
        }
        defer { runner.stop() }
        let dashboard = try #require(output.firstMatch(of: /dashboard   http:\/\/127\.0\.0\.1:(\d+)\/\?token=([0-9a-f]{64})/))
        let metrics = try #require(output.firstMatch(of: /metrics     http:\/\/127\.0\.0\.1:(\d+)\/metrics/))

        let status = try await TestHTTP.get(port: try #require(Int(dashboard.1)), path: "/api/status?token=\(dashboard.2)")
        #expect(status.hasPrefix("HTTP/1.1 200"), "\(status)")
        #expect(status.contains(#""name":"web""#) && status.contains(#""name":"db""#), "the demo's forwards: \(status)")
        #expect(try await TestHTTP.get(port: try #require(Int(dashboard.1)), path: "/api/status").hasPrefix("HTTP/1.1 401"))
        let scraped = try await TestHTTP.get(port: try #require(Int(metrics.1)), path: "/metrics")
        #expect(scraped.contains(#"berth_forward_phase{forward="web",phase="Ready"} 1"#), "\(scraped)")

        // "probe now" records its result in a state file: the demo's own, in its directory, never one where
        // berth status looks for the daemons of berth up.
        let manifest = try #require(output.firstMatch(of: /manifest    (\S+)/)).1
        let directory = URL(fileURLWithPath: String(manifest)).deletingLastPathComponent().path
        let probe = try await Self.post(port: try #require(Int(dashboard.1)), path: "/api/forwards/web/probe", token: String(dashboard.2))
        #expect(probe.hasPrefix("HTTP/1.1 200"), "\(probe)")
        let stateFiles = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".state.json") }
        #expect(stateFiles.count == 1, "the demo's state file: \(stateFiles)")
        let standard = RuntimeDirectory.standard().path
        let leaked = ((try? FileManager.default.contentsOfDirectory(atPath: standard)) ?? []).filter { name in
            (try? String(contentsOfFile: standard + "/" + name, encoding: .utf8))?.contains(String(manifest)) == true
        }
        #expect(leaked.isEmpty, "no state of the demo in \(standard): \(leaked)")

        runner.stop()
        let result = try await summary
        sink.finish()
        #expect(result.elapsed < .seconds(60))
    }
}

extension DemoWebServerTests {
    /// POSTs to the dashboard with its token, as the page's buttons do.
    static func post(port: Int, path: String, token: String) async throws -> String {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel) }
            }
        return try await channel.executeThenClose { inbound, outbound in
            let request = "POST \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nAuthorization: Bearer \(token)\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            try await outbound.write(ByteBuffer(string: request))
            var response = ""
            for try await chunk in inbound { response += String(buffer: chunk) }
            return response
        }
    }
}

/// The rebind tracker turns successive statuses into the demo's events.
@Suite struct DemoRebindTrackerTests {
    static func status(_ phase: ForwardPhase, pod: String?) -> DaemonStatus {
        DaemonStatus(pid: 1, startedAt: Date(), manifests: [], manifestErrors: [], forwards: [
            ForwardStatus(name: "web", phase: phase, target: "service/web", context: nil, namespace: "shop",
                          ports: [], pod: pod, since: Date()),
        ])
    }

    @Test func readyLostAndReboundOnANewPod() {
        var tracker = RebindTracker()
        #expect(tracker.observe(Self.status(.pending, pod: nil), at: .zero).isEmpty)
        #expect(!tracker.allReadyOnce)
        #expect(tracker.observe(Self.status(.ready, pod: "web-a"), at: .seconds(1)) == [.ready(forward: "web", pod: "web-a")])
        #expect(tracker.allReadyOnce)
        #expect(tracker.observe(Self.status(.rebinding, pod: nil), at: .seconds(2))
            == [.lost(forward: "web", pod: "web-a", phase: .rebinding, message: nil)])
        #expect(tracker.observe(Self.status(.ready, pod: "web-b"), at: .milliseconds(2500))
            == [.rebound(forward: "web", from: "web-a", to: "web-b", after: .milliseconds(500))])
        // The same status again is no news.
        #expect(tracker.observe(Self.status(.ready, pod: "web-b"), at: .seconds(3)).isEmpty)
    }

    @Test func aStatefulSetPodRebornUnderItsNameIsARebind() {
        var tracker = RebindTracker()
        _ = tracker.observe(Self.status(.ready, pod: "db-0"), at: .zero)
        _ = tracker.observe(Self.status(.rebinding, pod: nil), at: .seconds(1))
        #expect(tracker.observe(Self.status(.ready, pod: "db-0"), at: .seconds(2))
            == [.rebound(forward: "web", from: "db-0", to: "db-0", after: .seconds(1))])
    }

    @Test func aSwitchToAnotherReadyPodWithoutAGapIsARebind() {
        var tracker = RebindTracker()
        _ = tracker.observe(Self.status(.ready, pod: "web-a"), at: .zero)
        #expect(tracker.observe(Self.status(.ready, pod: "web-b"), at: .seconds(1))
            == [.rebound(forward: "web", from: "web-a", to: "web-b", after: .zero)])
    }

    @Test func aFailureIsReportedOnce() {
        var tracker = RebindTracker()
        var failed = Self.status(.failed, pod: nil)
        failed.forwards[0].reason = .portInUse
        #expect(tracker.observe(failed, at: .zero) == [.failed(forward: "web", reason: .portInUse, message: nil)])
        #expect(tracker.observe(failed, at: .seconds(1)).isEmpty)
    }
}

/// The demo's built-in copies of its files match the files in `examples/`.
@Suite struct DemoResourcesTests {
    static let examples = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("examples")

    @Test(arguments: [
        ("demo-cluster.yaml", DemoResources.clusterYAML),
        ("demo-forwards.yaml", DemoResources.forwardsYAML),
    ])
    func embeddedCopyMatchesTheFile(name: String, embedded: String) throws {
        let file = try String(contentsOf: Self.examples.appendingPathComponent(name), encoding: .utf8)
        #expect(file == embedded + "\n", "regenerate Sources/berth/Demo/DemoResources.swift from examples/\(name)")
    }
}

/// Collects what the demo prints.
private final class Lines: Sendable {
    private let storage = Mutex<[String]>([])

    func append(_ text: String) { storage.withLock { $0.append(text) } }

    var text: String { storage.withLock { $0.joined() } }
}

/// `berth demo` says which kind each failed request was.
@Suite struct DemoFailureKindTests {
    @Test func eachFailureLineNamesItsKind() {
        let hold = Duration.seconds(10)
        let reset = IOError(errnoCode: ECONNRESET, reason: "read")
        #expect(DemoProbe.describe(reset, after: .milliseconds(30), hold: hold) == "in flight on a pod that died: connection reset")
        let closed = DemoProbe.Failure(description: "connection closed before a reply")
        #expect(DemoProbe.describe(closed, after: .seconds(10), hold: hold).hasPrefix("held past the 10"))
        let refused = IOError(errnoCode: ECONNREFUSED, reason: "connect")
        #expect(DemoProbe.describe(refused, after: .zero, hold: hold).hasPrefix("refused"))
        let late = DemoProbe.Failure(description: "no reply within 15 s")
        #expect(DemoProbe.describe(late, after: .seconds(15), hold: hold).hasPrefix("timed out"))
    }
}
