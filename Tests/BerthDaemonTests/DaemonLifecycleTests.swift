import BerthDaemon
import BerthTestSupport
import ServiceLifecycle
import Testing

/// The group every long-running berth process runs in (docs/architecture.md, "Lifecycle").
@Suite(.timeLimit(.minutes(1)))
struct DaemonLifecycleTests {
    @Test func whenTheMainServiceEndsTheOthersStopInReverseOrder() async throws {
        let log = EventLog()
        let mainMayEnd = Gate()
        let main = ClosureService {
            await mainMayEnd.wait()
            log.append("main ended")
        }
        let beside = ["control socket", "state file", "live table"].map { name in
            ClosureService {
                try await gracefulShutdown()
                log.append("\(name) stopped")
            }
        }
        let run = Task { try await DaemonLifecycle.run(main, alongside: beside, stopOnSignals: false, logger: quietLogger) }
        mainMayEnd.open()
        try await awaitEnd(of: run, "the lifecycle group, after the main service ended")
        #expect(log.events == ["main ended", "live table stopped", "state file stopped", "control socket stopped"])
    }

    @Test func aServiceBesideThatReturnsAtOnceEndsNothing() async throws {
        let log = EventLog()
        let returned = Gate()
        let mainMayEnd = Gate()
        let main = ClosureService {
            await returned.wait()
            await mainMayEnd.wait()
            log.append(Task.isCancelled ? "main cancelled" : "main ran on")
        }
        let nothingToDraw = ClosureService {
            log.append("returned")
            returned.open()
        }
        let run = Task { try await DaemonLifecycle.run(main, alongside: [nothingToDraw], stopOnSignals: false, logger: quietLogger) }
        try await withTimeout(10, "the service beside returned") { await returned.wait() }
        mainMayEnd.open()
        try await awaitEnd(of: run, "the lifecycle group, after the main service ended")
        #expect(log.events == ["returned", "main ran on"])
    }

    @Test func aServiceBesideThatEndsWhileAnotherStopsIsNoFailure() async throws {
        // A status view ends when the daemon's status stream does, while the group is stopping the services
        // after it: that must not turn a clean stop into an error.
        let log = EventLog()
        let stopping = Gate()
        let viewEnded = Gate()
        let main = ClosureService { log.append("main ended") }
        let statusView = ClosureService {
            await stopping.wait()
            log.append("view ended")
            viewEnded.open()
        }
        let controlSocket = ClosureService {
            try await gracefulShutdown()
            stopping.open()
            await viewEnded.wait()
            log.append("control socket stopped")
        }
        let run = Task { try await DaemonLifecycle.run(main, alongside: [statusView, controlSocket], stopOnSignals: false, logger: quietLogger) }
        try await awaitEnd(of: run, "the lifecycle group, after the main service ended")
        #expect(log.events == ["main ended", "view ended", "control socket stopped"])
    }

    @Test func theMainServicesErrorIsThrownAfterTheOthersStopped() async throws {
        struct InvalidManifest: Error, Equatable {}
        let log = EventLog()
        let main = ClosureService { throw InvalidManifest() }
        let beside = ClosureService {
            try await gracefulShutdown()
            log.append("stopped")
        }
        let run = Task { try await DaemonLifecycle.run(main, alongside: [beside], stopOnSignals: false, logger: quietLogger) }
        await #expect(throws: InvalidManifest()) {
            try await awaitEnd(of: run, "the lifecycle group, after the main service failed")
        }
        #expect(log.events == ["stopped"])
    }
}
