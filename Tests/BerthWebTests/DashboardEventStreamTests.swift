import BerthDaemon
@testable import BerthWeb
import Foundation
import Testing

/// The event stream: Server-Sent Events framing, a snapshot at once and at each change, and the events list.
@Suite(.timeLimit(.minutes(1)))
struct DashboardEventStreamTests {
    @Test func framingPutsEveryLineOfDataOnItsOwnDataLine() {
        #expect(ServerSentEvent(event: "status", data: "{}").framed == "event: status\ndata: {}\n\n")
        #expect(ServerSentEvent(data: "a\nb").framed == "data: a\ndata: b\n\n")
        #expect(ServerSentEvent(data: "a\r\nb\rc").framed == "data: a\ndata: b\ndata: c\n\n", "a CR cannot end the event early")
        #expect(ServerSentEvent(data: "").framed == "data: \n\n")
        #expect(ServerSentEvent(event: "x\ny", data: "1").framed == "event: xy\ndata: 1\n\n", "an event name stays on one line")
    }

    @Test func httpPortsGetLinks() {
        func link(_ remote: String, _ target: Int?) -> String? {
            var forward = FakeDashboardSource.forward("web", remote: remote)
            forward.ports[0].targetPort = target
            return HTTPPortRule.links(of: forward)[0]
        }
        #expect(link("http", 5000) == "http://127.0.0.1:18080/")
        #expect(link("http-metrics", 9090) == "http://127.0.0.1:18080/")
        #expect(link("https", 8443) == "https://127.0.0.1:18080/")
        #expect(link("8080", 8080) == "http://127.0.0.1:18080/")
        #expect(link("443", 443) == "https://127.0.0.1:18080/")
        #expect(link("pg", 5432) == nil)
        #expect(link("5432", 5432) == nil)
        #expect(link("grpc", 8080) == "http://127.0.0.1:18080/", "a name that says nothing: the resolved number decides")
        var unbound = FakeDashboardSource.forward("web")
        unbound.ports[0].localPort = nil
        #expect(HTTPPortRule.links(of: unbound) == [nil])
    }

    @Test func theStreamSendsTheSnapshotAtOnceAndAtEachChange() async throws {
        let source = FakeDashboardSource(forwards: [FakeDashboardSource.forward("web")])
        // A long tick: every event after the first comes from a change, not from the clock.
        try await DashboardAccessTests.withDashboard(source, tick: .seconds(600)) { http in
            try await http.stream("/events?token=\(DashboardAccessTests.token.value)") { head, next in
                #expect(head.hasPrefix("HTTP/1.1 200"))
                #expect(head.lowercased().contains("content-type: text/event-stream"))
                var reader = EventReader()
                let first = try await reader.snapshot(next)
                #expect(first.status.forwards.map(\.phase) == [.ready])
                #expect(first.health.watches == 3)
                #expect(first.forwards["web"]?.links == ["http://127.0.0.1:18080/"])

                source.set { $0.forwards[0].phase = .rebinding; $0.forwards[0].reason = .other("EndpointGone") }
                let rebinding = try await reader.snapshot(next) { $0.status.forwards.first?.phase == .rebinding }
                #expect(rebinding.forwards["web"]?.rebinds == 0, "the daemon counts a rebind when the forward reaches another pod")
                source.set { $0.forwards[0].rebinds = 1 }
                #expect(try await reader.snapshot(next) { $0.forwards["web"]?.rebinds == 1 }.status.forwards.first?.rebinds == 1)
                #expect(rebinding.events.first?.kind == "rebind")
                #expect(rebinding.events.first?.forward == "web")

                source.set { $0.resyncs = 1 }
                _ = try await reader.snapshot(next) { $0.events.first?.kind == "resync" }
                source.set { $0.forwards[0].phase = .ready; $0.forwards[0].reason = nil }
                let back = try await reader.snapshot(next) { $0.status.forwards.first?.phase == .ready }
                #expect(back.events.map(\.kind) == ["ready", "resync", "rebind"], "newest first")
            }
        }
    }
}

/// Reads `status` events off a chunked event stream.
struct EventReader {
    var raw = ""
    var consumed = 0

    /// The next snapshot (the first that satisfies `condition`).
    mutating func snapshot(
        _ next: () async throws -> String?, where condition: (DashboardSnapshot) -> Bool = { _ in true }) async throws -> DashboardSnapshot {
        while true {
            let events = RawHTTP.dechunk(raw).components(separatedBy: "\n\n").dropLast()
            for event in events.dropFirst(consumed) {
                consumed += 1
                let lines = event.split(separator: "\n")
                #expect(lines.first == "event: status")
                let data = lines.filter { $0.hasPrefix("data: ") }.map { $0.dropFirst(6) }.joined(separator: "\n")
                let snapshot = try JSONDecoder.iso8601.decode(DashboardSnapshot.self, from: Data(data.utf8))
                if condition(snapshot) { return snapshot }
            }
            guard let more = try await next() else { throw RawHTTP.Failure(description: "the stream ended") }
            raw += more
        }
    }
}
