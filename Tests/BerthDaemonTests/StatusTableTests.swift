import Foundation
import Testing

@testable import BerthDaemon

@Suite struct StatusTableTests {
    let start = Date(timeIntervalSince1970: 1_000_000)

    func status(_ forwards: [ForwardStatus], errors: [String] = []) -> DaemonStatus {
        DaemonStatus(pid: 42, startedAt: start, manifests: ["/repo/forwards.yaml"], manifestErrors: errors, forwards: forwards)
    }

    @Test func rendersOneRowPerForwardWithAlignedColumns() {
        var web = ForwardStatus(
            name: "web", phase: .ready, target: "service/web", context: "dev", namespace: "shop",
            ports: [PortStatus(address: "127.0.0.1", localPort: 8080, remote: "http", targetPort: 80)],
            pod: "web-7d9f-abcde", since: start, connections: ConnectionCounters(open: 1, total: 7))
        web.transport = "websocket-spdy"
        web.sessions = SessionUsage(sessions: 1, streams: 3)
        let db = ForwardStatus(
            name: "db", phase: .failed, reason: .portInUse, message: "127.0.0.1:5432 is in use by postgres (pid 77)",
            target: "statefulset/postgres", context: nil, namespace: "data",
            ports: [PortStatus(address: "::1", localPort: nil, remote: "5432")], since: start)
        let text = StatusTable.render(status([web, db]), now: start.addingTimeInterval(90))
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.count == 3)
        #expect(lines[0].hasPrefix("NAME  PHASE"))
        #expect(lines[1].contains("127.0.0.1:8080->http"))
        #expect(lines[1].contains("shop/service/web"))
        #expect(lines[1].contains("1/7"))
        #expect(lines[1].contains("websocket-spdy  1/3"))
        #expect(lines[1].contains("90s"))
        #expect(lines[2].contains("[::1]:-->5432"), "nothing bound and no configured port known")
        #expect(lines[2].hasSuffix("127.0.0.1:5432 is in use by postgres (pid 77)"))
        // Columns line up: PHASE starts at the same offset in every row.
        let offsets = lines.map { $0.range(of: $0 == lines[0] ? "PHASE" : ($0 == lines[1] ? "Ready" : "Failed"))!.lowerBound.utf16Offset(in: $0) }
        #expect(Set(offsets).count == 1)
    }

    @Test func showsManifestErrorsAndThatTheLastGoodStateRuns() {
        let text = StatusTable.render(status([], errors: ["forwards.yaml:3:5: error: unknown field 'namepsace'"]), now: start)
        #expect(text.contains("forwards.yaml:3:5: error: unknown field 'namepsace'"))
        #expect(text.contains("last valid manifest keeps running"))
    }

    @Test func showsNetworkResyncsOnceThereAreAny() {
        var daemon = status([])
        #expect(!StatusTable.render(daemon, now: start).contains("resync"))
        daemon.resyncs = 1
        #expect(StatusTable.render(daemon, now: start).hasSuffix("\n1 network resync since the start"))
        daemon.resyncs = 3
        #expect(StatusTable.render(daemon, now: start).hasSuffix("\n3 network resyncs since the start"))
    }

    @Test func agesReadLikeKubectl() {
        #expect(StatusTable.age(from: start, to: start.addingTimeInterval(5)) == "5s")
        #expect(StatusTable.age(from: start, to: start.addingTimeInterval(600)) == "10m")
        #expect(StatusTable.age(from: start, to: start.addingTimeInterval(3 * 3600)) == "3h")
        #expect(StatusTable.age(from: start, to: start.addingTimeInterval(5 * 86400)) == "5d")
    }

    @Test func allReadyIgnoresDisabledForwards() {
        let ready = ForwardStatus(name: "a", phase: .ready, target: "pod/a", context: nil, namespace: "x", ports: [], since: start)
        let off = ForwardStatus(name: "b", phase: .disabled, target: "pod/b", context: nil, namespace: "x", ports: [], since: start)
        let pending = ForwardStatus(name: "c", phase: .pending, target: "pod/c", context: nil, namespace: "x", ports: [], since: start)
        #expect(status([ready, off]).allReady)
        #expect(!status([ready, pending]).allReady)
    }

    @Test func anUnboundPortShowsItsConfiguredPort() {
        let failed = ForwardStatus(
            name: "db", phase: .failed, reason: .portInUse, target: "statefulset/postgres", context: nil, namespace: "data",
            ports: [PortStatus(address: "127.0.0.1", localPort: nil, remote: "http", configuredPort: 5432)], since: start)
        let disabled = ForwardStatus(
            name: "web", phase: .disabled, target: "service/web", context: nil, namespace: "shop",
            ports: [PortStatus(address: "127.0.0.1", localPort: nil, remote: "http", configuredPort: 8080)], since: start)
        let lines = StatusTable.render(status([failed, disabled]), now: start).split(separator: "\n")
        #expect(lines[1].contains("127.0.0.1:5432->http"), "\(lines[1])")
        #expect(lines[2].contains("127.0.0.1:8080->http"), "\(lines[2])")
    }

    @Test func wideAddsContextPodPortsErrorsAndTheLastError() {
        let web = ForwardStatus(
            name: "web", phase: .ready, target: "service/web", context: "dev", namespace: "shop",
            ports: [PortStatus(address: "127.0.0.1", localPort: 8080, remote: "http", targetPort: 8081)],
            pod: "web-1", since: start, lastError: "pod web-0 went away", connections: ConnectionCounters(errors: 2))
        let lines = StatusTable.render(status([web]), now: start, wide: true).split(separator: "\n").map(String.init)
        #expect(lines[0].hasSuffix("REASON  CONTEXT  POD PORTS  ERRORS  LAST ERROR"), "\(lines[0])")
        #expect(lines[1].contains("dev") && lines[1].contains("8081") && lines[1].hasSuffix("2       pod web-0 went away"), "\(lines[1])")
        #expect(!StatusTable.render(status([web]), now: start).contains("LAST ERROR"))
    }
}
