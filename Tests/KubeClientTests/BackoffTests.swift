import KubeClient
import Testing

@Suite struct BackoffTests {
    /// client-go's sequence: [0.8,1.6), [1.6,3.2), [3.2,6.4), [6.4,12.8), [12.8,25.6), [25.6,51.2), then [30,60).
    @Test(arguments: [UInt64(1), 7, 42, 1_000_003])
    func delaysDoubleWithinJitterBoundsUpToTheCap(seed: UInt64) {
        var backoff = Backoff(random: SeededRandom(seed: seed))
        let bases: [Duration] = [
            .milliseconds(800), .milliseconds(1600), .milliseconds(3200), .milliseconds(6400),
            .milliseconds(12800), .milliseconds(25600), .seconds(30), .seconds(30), .seconds(30),
        ]
        var now = Duration.zero
        for base in bases {
            let delay = backoff.next(now: now)
            #expect(delay >= base && delay < base * 2, "delay \(delay) outside [\(base), \(base * 2))")
            now += delay  // back-to-back failures: never two minutes apart
        }
    }

    @Test func resetsAfterTwoQuietMinutes() {
        var backoff = Backoff(random: SeededRandom(seed: 3))
        var lastStart = Duration.zero
        for step in 0..<5 {
            lastStart = .seconds(step)
            _ = backoff.next(now: lastStart)
        }
        // Exactly two minutes after the last backoff started is not yet "more than" two minutes.
        var copy = backoff
        #expect(copy.next(now: lastStart + .seconds(120)) >= .seconds(25.6))
        let afterQuiet = backoff.next(now: lastStart + .seconds(121))
        #expect(afterQuiet >= .milliseconds(800) && afterQuiet < .milliseconds(1600))
    }

    @Test func sameSeedSameSequenceAndJitterVaries() {
        var a = Backoff(random: SeededRandom(seed: 99))
        var b = Backoff(random: SeededRandom(seed: 99))
        var c = Backoff(initial: .seconds(1), cap: .seconds(1), random: SeededRandom(seed: 5))
        var seen: Set<Duration> = []
        for step in 0..<20 {
            let now = Duration.seconds(step)
            #expect(a.next(now: now) == b.next(now: now))
            seen.insert(c.next(now: now))
        }
        #expect(seen.count > 10, "jitter should spread delays, got \(seen)")
    }

    @Test func explicitResetStartsOver() {
        var backoff = Backoff(random: SeededRandom(seed: 11))
        for step in 0..<6 { _ = backoff.next(now: .seconds(step)) }
        backoff.reset()
        let delay = backoff.next(now: .seconds(7))
        #expect(delay >= .milliseconds(800) && delay < .milliseconds(1600))
    }
}
