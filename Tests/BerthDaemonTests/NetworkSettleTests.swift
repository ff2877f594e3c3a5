import BerthDaemon
import BerthTestSupport
import Reconcile
import Synchronization
import Testing

@Suite struct NetworkSettleStateMachineTests {
    typealias Machine = SettleStateMachine<ManualClock.Instant>
    func at(_ milliseconds: Int) -> ManualClock.Instant { .init(offset: .milliseconds(milliseconds)) }

    @Test func aBurstWaitsForQuietThenProbesThenResyncsOnce() {
        var machine = Machine(configuration: .init(settleWindow: .seconds(2)))
        #expect(machine.changeObserved(at: at(0)) == .waitUntil(at(2000)))
        #expect(machine.changeObserved(at: at(1500)) == .waitUntil(at(3500)))
        // The wait for the first deadline ends: the quiet period was extended, keep waiting.
        #expect(machine.deadlineReached(at: at(2000)) == .waitUntil(at(3500)))
        #expect(machine.deadlineReached(at: at(3500)) == .probe)
        #expect(machine.probeFinished(answered: true, at: at(3600)) == .resync)
        #expect(machine.state == .idle)
        #expect(machine.deadlineReached(at: at(9000)) == .waitForChange)
    }

    @Test func failedProbesBackOffUntilTheServerAnswers() {
        var machine = Machine(configuration: .init(
            settleWindow: .seconds(1), probeBackoff: ExponentialBackoff(base: .milliseconds(100), cap: .milliseconds(300))
        ))
        _ = machine.changeObserved(at: at(0))
        #expect(machine.deadlineReached(at: at(1000)) == .probe)
        #expect(machine.probeFinished(answered: false, at: at(1000)) == .waitUntil(at(1100)))
        #expect(machine.deadlineReached(at: at(1100)) == .probe)
        #expect(machine.probeFinished(answered: false, at: at(1100)) == .waitUntil(at(1300)))
        #expect(machine.deadlineReached(at: at(1300)) == .probe)
        #expect(machine.probeFinished(answered: false, at: at(1300)) == .waitUntil(at(1600)))
        #expect(machine.deadlineReached(at: at(1600)) == .probe)
        #expect(machine.probeFinished(answered: true, at: at(1600)) == .resync)
    }

    @Test func aChangeDuringAProbeStartsTheQuietPeriodAgain() {
        var machine = Machine(configuration: .init(settleWindow: .seconds(2)))
        _ = machine.changeObserved(at: at(0))
        #expect(machine.deadlineReached(at: at(2000)) == .probe)
        #expect(machine.changeObserved(at: at(2100)) == .waitUntil(at(4100)))
        // The probe that was in flight answers, but the network moved meanwhile: no resync yet.
        #expect(machine.probeFinished(answered: true, at: at(2200)) == .waitUntil(at(4100)))
        #expect(machine.deadlineReached(at: at(4100)) == .probe)
        #expect(machine.probeFinished(answered: true, at: at(4200)) == .resync)
    }

    @Test func aChangeWhileWaitingToRetryTheProbeStartsOver() {
        var machine = Machine(configuration: .init(settleWindow: .seconds(1)))
        _ = machine.changeObserved(at: at(0))
        _ = machine.deadlineReached(at: at(1000))
        #expect(machine.probeFinished(answered: false, at: at(1000)) == .waitUntil(at(1250)))
        #expect(machine.changeObserved(at: at(1100)) == .waitUntil(at(2100)))
        #expect(machine.deadlineReached(at: at(1250)) == .waitUntil(at(2100)))
    }
}

/// A fixed list of changes that says when the consumer has taken all of them.
private struct ScriptedChanges: AsyncSequence, Sendable {
    let changes: [NetworkChange]
    let exhausted: AsyncWakeup

    struct AsyncIterator: AsyncIteratorProtocol {
        var remaining: ArraySlice<NetworkChange>
        let exhausted: AsyncWakeup

        mutating func next() async -> NetworkChange? {
            if let change = remaining.popFirst() { return change }
            exhausted.signal()
            return nil
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(remaining: changes[...], exhausted: exhausted)
    }
}

@Suite(.timeLimit(.minutes(1)))
struct NetworkSettlerTests {
    @Test func aBurstLeadsToOneResyncAfterQuietAndAnAnsweringServer() async {
        let clock = ManualClock()
        let probes = Locked<[ManualClock.Instant]>([])
        let probed = AsyncWakeup()
        let resyncs = Locked<[ManualClock.Instant]>([])
        let resynced = AsyncWakeup()
        let settler = NetworkSettler(
            configuration: .init(settleWindow: .seconds(2), probeBackoff: ExponentialBackoff(base: .milliseconds(250))),
            clock: clock,
            logger: quietLogger
        ) {
            let count = probes.withLock { probes in
                probes.append(clock.now)
                return probes.count
            }
            probed.signal()
            return count >= 2  // the API server answers the second probe
        }
        let exhausted = AsyncWakeup()
        let burst = ScriptedChanges(
            changes: [.init(kind: .linkRemoved, interfaceIndex: 3), .init(kind: .addressRemoved, interfaceIndex: 3), .init(kind: .routeRemoved)],
            exhausted: exhausted
        )
        await withDiscardingTaskGroup { group in
            group.addTask {
                await settler.run(changes: burst) {
                    resyncs.withLock { $0.append(clock.now) }
                    resynced.signal()
                }
            }
            // Every change was consumed at manual time zero, so the quiet period ends at 2 s.
            await exhausted.wait()
            // The settler has taken the last change but may not have started its quiet timer yet: advancing
            // the clock before it sleeps would move its deadline, and the probe below would never come.
            await clock.waitForSleepers(atLeast: 1)
            clock.advance(by: .milliseconds(1999))
            #expect(probes.withLock { $0.isEmpty })
            clock.advance(by: .milliseconds(1))
            await probed.wait()
            await clock.waitForSleepers(atLeast: 1)
            #expect(resyncs.withLock { $0.isEmpty }, "no resync while the API server does not answer")
            clock.advance(by: .milliseconds(250))
            await resynced.wait()
            group.cancelAll()
        }
        #expect(probes.withLock { $0.map(\.offset) } == [.seconds(2), .milliseconds(2250)])
        #expect(resyncs.withLock { $0.map(\.offset) } == [.milliseconds(2250)])
    }
}

@Suite struct NetworkWakeDetectionTests {
    func sample(wall: Int, monotonic: Int) -> WakeDetector.Sample {
        .init(wall: .seconds(wall), monotonic: .seconds(monotonic))
    }

    @Test func aWallClockJumpBeyondTheThresholdIsAWake() {
        var detector = WakeDetector(threshold: .seconds(5))
        #expect(detector.observe(sample(wall: 1000, monotonic: 50)) == nil)
        #expect(detector.observe(sample(wall: 1002, monotonic: 52)) == nil)
        #expect(detector.observe(sample(wall: 1006, monotonic: 54)) == nil, "2 s of drift is not a sleep")
        #expect(detector.observe(sample(wall: 1608, monotonic: 56)) == .seconds(600))
        #expect(detector.observe(sample(wall: 1610, monotonic: 58)) == nil)
    }

    @Test func theMonitorYieldsAWakeWhenTheSampledClocksDiverge() async {
        let clock = ManualClock()
        let readings = Locked([sample(wall: 100, monotonic: 10), sample(wall: 102, monotonic: 12), sample(wall: 400, monotonic: 14)])
        let monitor = SleepWakeMonitor(interval: .seconds(2), threshold: .seconds(5), clock: clock) {
            readings.withLock { $0.count > 1 ? $0.removeFirst() : $0[0] }
        }
        await withDiscardingTaskGroup { group in
            group.addTask {
                var iterator = monitor.makeAsyncIterator()
                #expect(await iterator.next() == NetworkChange(kind: .wake))
            }
            for _ in 0..<2 {
                await clock.waitForSleepers(atLeast: 1)
                clock.advance(by: .seconds(2))
            }
        }
        #expect(clock.now.offset == .seconds(4))
    }
}
