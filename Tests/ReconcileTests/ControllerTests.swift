import BerthTestSupport
import Reconcile
import Synchronization
import Testing

/// A reconciler whose behaviour each test scripts, reporting every call (with its manual time) in order.
private final class ScriptedReconciler: Reconciler {
    struct Call: Sendable, Equatable {
        let key: String
        let attempt: Int
        let at: Duration
    }

    let clock: ManualClock
    let calls: AsyncStream<Call>.Continuation
    let attempts = Mutex<[String: Int]>([:])
    let inFlight = Mutex<[String: Int]>([:])
    let overlapSeen = Mutex(false)
    let behaviour: @Sendable (_ key: String, _ attempt: Int) async -> ReconcileResult

    init(
        clock: ManualClock,
        calls: AsyncStream<Call>.Continuation,
        behaviour: @escaping @Sendable (_ key: String, _ attempt: Int) async -> ReconcileResult
    ) {
        self.clock = clock
        self.calls = calls
        self.behaviour = behaviour
    }

    func reconcile(_ key: String) async -> ReconcileResult {
        let attempt = attempts.withLock { counts in
            counts[key, default: 0] += 1
            return counts[key]!
        }
        let concurrent = inFlight.withLock { counts in
            counts[key, default: 0] += 1
            return counts[key]!
        }
        if concurrent > 1 { overlapSeen.withLock { $0 = true } }
        calls.yield(Call(key: key, attempt: attempt, at: clock.now.offset))
        let result = await behaviour(key, attempt)
        inFlight.withLock { $0[key, default: 1] -= 1 }
        return result
    }
}

private struct TestFailure: Error {}

@Suite(.timeLimit(.minutes(1)))
struct ControllerTests {
    private func makeController(
        clock: ManualClock,
        workers: Int = 2,
        resync: Duration? = nil,
        resyncKeys: @escaping @Sendable () -> [String] = { [] },
        behaviour: @escaping @Sendable (String, Int) async -> ReconcileResult
    ) -> (Controller<ScriptedReconciler>, ScriptedReconciler, AsyncStream<ScriptedReconciler.Call>) {
        let (calls, continuation) = AsyncStream<ScriptedReconciler.Call>.makeStream()
        let reconciler = ScriptedReconciler(clock: clock, calls: continuation, behaviour: behaviour)
        let queue = WorkQueue<String>(backoff: ExponentialBackoff(base: .milliseconds(5), cap: .milliseconds(40)), clock: clock)
        let controller = Controller(
            reconciler: reconciler,
            queue: queue,
            configuration: .init(workers: workers, resyncInterval: resync),
            clock: clock,
            resyncKeys: resyncKeys
        )
        return (controller, reconciler, calls)
    }

    @Test func oneKeyIsNeverReconciledConcurrentlyAndAReAddRunsOnceMore() async throws {
        let clock = ManualClock()
        let gate = AsyncWakeup()
        let (controller, reconciler, calls) = makeController(clock: clock, workers: 4) { key, attempt in
            if key == "a" && attempt == 1 { await gate.wait() }
            return .done
        }
        var events = calls.makeAsyncIterator()
        await withDiscardingTaskGroup { group in
            group.addTask { await controller.run() }
            controller.queue.add("a")
            #expect(await events.next()?.key == "a")
            // "a" is in progress and blocked: re-adding it must not start a second reconcile of it,
            // while other keys keep flowing through the idle workers.
            for _ in 0..<5 { controller.queue.add("a") }
            controller.queue.add("b")
            #expect(await events.next()?.key == "b")
            gate.signal()
            let second = await events.next()
            #expect(second?.key == "a" && second?.attempt == 2)
            await controller.queue.shutDownWithDrain()
        }
        #expect(!reconciler.overlapSeen.withLock { $0 })
        #expect(reconciler.attempts.withLock { $0 } == ["a": 2, "b": 1])
    }

    @Test func errorsBackOffExponentiallyAndSuccessResetsTheBackoff() async throws {
        let clock = ManualClock()
        // Six failures, success, then (after a fresh add) one failure and success.
        let (controller, _, calls) = makeController(clock: clock) { _, attempt in
            switch attempt {
            case 1...6, 8: return .error(TestFailure())
            default: return .done
            }
        }
        var events = calls.makeAsyncIterator()
        var times: [Duration] = []
        await withDiscardingTaskGroup { group in
            group.addTask { await controller.run() }
            controller.queue.add("k")
            for attempt in 1...7 {
                guard let call = await events.next() else { break }
                times.append(call.at)
                if attempt < 7 {
                    await clock.waitForSleepers(atLeast: 1)
                    clock.advanceToNextDeadline()
                }
            }
            // Wait until the success has been applied (failures forgotten), then start over.
            controller.queue.add("k")
            for _ in 8...9 {
                guard let call = await events.next() else { break }
                times.append(call.at)
                if call.attempt == 8 {
                    await clock.waitForSleepers(atLeast: 1)
                    clock.advanceToNextDeadline()
                }
            }
            controller.queue.shutDown()
        }
        let gaps = zip(times.dropFirst(), times).map { $0 - $1 }
        // 5, 10, 20, 40 ms, then capped at 40 ms; after the success: 0 (fresh add), then 5 ms again.
        #expect(gaps == [5, 10, 20, 40, 40, 40, 0, 5].map { Duration.milliseconds($0) })
    }

    @Test func requeueAfterComesBackAfterTheDelayAndForgetsFailures() async throws {
        let clock = ManualClock()
        let (controller, _, calls) = makeController(clock: clock) { _, attempt in
            attempt == 1 ? .requeueAfter(.seconds(10)) : .done
        }
        var events = calls.makeAsyncIterator()
        await withDiscardingTaskGroup { group in
            group.addTask { await controller.run() }
            controller.queue.add("k")
            #expect(await events.next()?.at == .zero)
            await clock.waitForSleepers(atLeast: 1)
            clock.advance(by: .seconds(9))
            #expect(controller.queue.count == 0)
            clock.advance(by: .seconds(1))
            let second = await events.next()
            #expect(second?.at == .seconds(10) && second?.attempt == 2)
            #expect(controller.queue.numRequeues("k") == 0)
            controller.queue.shutDown()
        }
    }

    @Test func resyncEnqueuesEveryKeyEachInterval() async throws {
        let clock = ManualClock()
        let (controller, _, calls) = makeController(
            clock: clock, resync: .seconds(60), resyncKeys: { ["a", "b", "c"] }
        ) { _, _ in .done }
        var events = calls.makeAsyncIterator()
        await withDiscardingTaskGroup { group in
            group.addTask { await controller.run() }
            for round in 1...2 {
                await clock.waitForSleepers(atLeast: 1)
                clock.advance(by: .seconds(60))
                var seen: Set<String> = []
                for _ in 0..<3 {
                    let call = await events.next()
                    #expect(call?.at == .seconds(60) * round)
                    if let key = call?.key { seen.insert(key) }
                }
                #expect(seen == ["a", "b", "c"])
            }
            controller.queue.shutDown()
        }
    }

    @Test func shutDownDrainsQueuedKeysAndIgnoresNewOnes() async throws {
        let clock = ManualClock()
        let gate = AsyncWakeup()
        let (controller, reconciler, calls) = makeController(clock: clock, workers: 1) { key, _ in
            if key == "1" { await gate.wait() }
            return .done
        }
        var events = calls.makeAsyncIterator()
        await withDiscardingTaskGroup { group in
            group.addTask { await controller.run() }
            for key in 1...5 { controller.queue.add(String(key)) }
            #expect(await events.next()?.key == "1")
            controller.queue.shutDown()
            controller.queue.add("6")
            gate.signal()
            await controller.queue.shutDownWithDrain()
        }
        // run() returned: every queued key was reconciled, in order, and nothing after the shutdown.
        var order: [String] = []
        for _ in 0..<4 {
            if let call = await events.next() { order.append(call.key) }
        }
        #expect(order == ["2", "3", "4", "5"])
        #expect(reconciler.attempts.withLock { $0["6"] } == nil)
    }

    @Test func cancellingRunStopsTheWorkers() async {
        let clock = ManualClock()
        let (controller, _, _) = makeController(clock: clock, resync: .seconds(60)) { _, _ in .done }
        let run = Task { await controller.run() }
        await clock.waitForSleepers(atLeast: 1)
        run.cancel()
        await run.value
        #expect(clock.sleeperCount == 0, "the resync loop must not outlive run()")
    }
}
