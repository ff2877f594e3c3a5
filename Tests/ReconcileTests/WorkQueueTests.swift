import BerthTestSupport
import Reconcile
import Testing

@Suite(.timeLimit(.minutes(1)))
struct WorkQueueTests {
    @Test func addingAQueuedKeyAgainDoesNotDuplicateIt() async {
        let queue = WorkQueue<String>(clock: ManualClock())
        for key in ["a", "a", "b", "a", "b"] { queue.add(key) }
        #expect(queue.count == 2)
        #expect(await queue.get() == "a")
        #expect(await queue.get() == "b")
        #expect(queue.count == 0)
    }

    @Test func aKeyInProgressIsHandedOutAgainOnlyAfterDone() async {
        let queue = WorkQueue<String>(clock: ManualClock())
        queue.add("a")
        #expect(await queue.get() == "a")
        queue.add("a")
        queue.add("a")
        #expect(queue.count == 0, "a key in progress must not be queued beside itself")
        queue.done("a")
        #expect(queue.count == 1, "re-added while in progress: queued once on done")
        #expect(await queue.get() == "a")
        queue.done("a")
        #expect(queue.count == 0)
    }

    @Test func aWaitingGetterReceivesTheNextAdd() async {
        let queue = WorkQueue<Int>(clock: ManualClock())
        async let got = queue.get()
        queue.add(7)
        #expect(await got == 7)
    }

    @Test func shutDownHandsOutWhatIsQueuedThenNil() async {
        let queue = WorkQueue<Int>(clock: ManualClock())
        queue.add(1)
        queue.add(2)
        queue.shutDown()
        queue.add(3)
        #expect(await queue.get() == 1)
        #expect(await queue.get() == 2)
        #expect(await queue.get() == nil)
    }

    @Test func shutDownReleasesWaitingGetters() async {
        let queue = WorkQueue<Int>(clock: ManualClock())
        await withTaskGroup(of: Int?.self) { group in
            for _ in 0..<3 { group.addTask { await queue.get() } }
            queue.shutDown()
            for await result in group { #expect(result == nil) }
        }
    }

    @Test func aCancelledGetterReturnsNil() async {
        let queue = WorkQueue<Int>(clock: ManualClock())
        let getter = Task { await queue.get() }
        getter.cancel()
        #expect(await getter.value == nil)
        queue.add(1)
        #expect(queue.count == 1, "the cancelled getter must not swallow the key")
    }

    @Test func addAfterQueuesTheKeyOnlyWhenItsDelayHasPassed() async {
        let clock = ManualClock()
        let queue = WorkQueue<String>(clock: clock)
        await withDiscardingTaskGroup { group in
            group.addTask { await queue.runDelayLoop() }
            queue.addAfter("a", delay: .seconds(1))
            await clock.waitForSleepers(atLeast: 1)
            clock.advance(by: .milliseconds(999))
            #expect(queue.count == 0)
            clock.advance(by: .milliseconds(1))
            #expect(await queue.get() == "a")
            queue.done("a")
            queue.shutDown()
        }
    }

    @Test func anEarlierAddAfterWinsOverALaterOne() async {
        let clock = ManualClock()
        let queue = WorkQueue<String>(clock: clock)
        await withDiscardingTaskGroup { group in
            group.addTask { await queue.runDelayLoop() }
            queue.addAfter("a", delay: .seconds(10))
            await clock.waitForSleepers(atLeast: 1)
            // The loop sleeps until 10 s; the earlier deadline must wake it and replace that sleep.
            queue.addAfter("a", delay: .seconds(2))
            await clock.waitForSleeper(dueBy: .init(offset: .seconds(2)))
            clock.advance(to: .init(offset: .seconds(2)))
            #expect(await queue.get() == "a")
            #expect(clock.now.offset == .seconds(2))
            queue.shutDown()
        }
    }

    @Test func rateLimitedAddsCountFailuresUntilForgotten() {
        let queue = WorkQueue<String>(clock: ManualClock())
        queue.addRateLimited("a")
        queue.addRateLimited("a")
        #expect(queue.numRequeues("a") == 2)
        #expect(queue.numRequeues("b") == 0)
        queue.forget("a")
        #expect(queue.numRequeues("a") == 0)
    }
}

@Suite struct ExponentialBackoffTests {
    @Test func doublesFromTheBaseUpToTheCap() {
        let backoff = ExponentialBackoff(base: .milliseconds(5), cap: .milliseconds(100))
        let delays = (0..<7).map { backoff.delay(afterFailures: $0) }
        #expect(delays == [5, 10, 20, 40, 80, 100, 100].map { Duration.milliseconds($0) })
    }

    @Test func manyFailuresStayAtTheCapWithoutOverflow() {
        let backoff = ExponentialBackoff()
        #expect(backoff.delay(afterFailures: 10_000) == .seconds(30))
        #expect(backoff.delay(afterFailures: -3) == .milliseconds(5))
    }
}
