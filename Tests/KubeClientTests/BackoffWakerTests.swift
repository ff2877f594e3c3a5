import BerthTestSupport
import Testing

@testable import KubeClient

/// `Informer.retryNow()` ends a reflector's backoff through a `BackoffWaker`; on a clock that never moves by
/// itself, only the waker can end these sleeps.
@Suite struct BackoffWakerTests {
    @Test func aWakeEndsTheSleepThatIsRunning() async throws {
        let clock = ManualClock()
        let waker = BackoffWaker()
        let sleeper = Task { try await waker.sleep(until: clock.now.advanced(by: .seconds(30)), clock: clock) }
        // Whether the sleeper has begun to sleep or not: a wake before it sleeps is kept for it.
        waker.wake()
        #expect(try await sleeper.value, "woken, not timed out")
    }

    @Test func aWakeBeforeTheSleepIsKeptForItAndClearedAfter() async throws {
        let clock = ManualClock()
        let waker = BackoffWaker()
        waker.wake()
        #expect(try await waker.sleep(until: clock.now.advanced(by: .seconds(30)), clock: clock))
        waker.clear()
        let sleeper = Task { try await waker.sleep(until: clock.now.advanced(by: .seconds(1)), clock: clock) }
        try await eventually("the sleeper waiting on the clock", within: 5) { clock.sleeperCount > 0 }
        clock.advance(by: .seconds(1))
        #expect(try await sleeper.value == false, "a cleared wake does not end the next backoff")
    }

    @Test func cancellingTheTaskEndsTheSleepWithCancellationError() async throws {
        let clock = ManualClock()
        let waker = BackoffWaker()
        let sleeper = Task { try await waker.sleep(until: clock.now.advanced(by: .seconds(30)), clock: clock) }
        sleeper.cancel()
        await #expect(throws: CancellationError.self) { try await sleeper.value }
    }
}
