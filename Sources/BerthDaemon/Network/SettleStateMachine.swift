import Reconcile

/// Decides when a burst of network changes is over: after the network has been quiet for the settle
/// window *and* the API server answers a probe, it asks for exactly one resync.
///
/// A value type without I/O: the driver (``NetworkSettler``) feeds it events with the current time and
/// performs the returned action.
public struct SettleStateMachine<Instant: InstantProtocol>: Sendable where Instant.Duration == Duration {
    /// Timing of the settle process.
    public struct Configuration: Sendable, Hashable {
        /// How long the network must be quiet before the API server is probed.
        public var settleWindow: Duration
        /// Delays between failed probes.
        public var probeBackoff: ExponentialBackoff

        /// Creates a configuration; the defaults wait 2 s of quiet and retry probes from 250 ms up to 10 s.
        public init(
            settleWindow: Duration = .seconds(2),
            probeBackoff: ExponentialBackoff = ExponentialBackoff(base: .milliseconds(250), cap: .seconds(10))
        ) {
            self.settleWindow = settleWindow
            self.probeBackoff = probeBackoff
        }
    }

    /// Where the machine is.
    public enum State: Sendable, Equatable {
        /// Nothing pending.
        case idle
        /// Changes seen; waiting for quiet until the deadline.
        case settling(quietUntil: Instant)
        /// A probe is running; `failures` earlier probes of this round failed.
        case probing(failures: Int)
        /// A probe failed; the next one is due at the deadline.
        case waitingToProbe(until: Instant, failures: Int)
    }

    /// What the driver should do next.
    public enum Action: Sendable, Equatable {
        /// Wait for the next change.
        case waitForChange
        /// Wait for the next change or the deadline, whichever comes first.
        case waitUntil(Instant)
        /// Ask the API server whether it answers, then report with ``probeFinished(answered:at:)``.
        case probe
        /// The network settled and the API server answers: re-establish watches and streams, once.
        case resync
    }

    /// The timing in use.
    public let configuration: Configuration
    /// The current state.
    public private(set) var state: State = .idle

    /// Creates an idle machine.
    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    /// The network changed: (re)start the quiet period. A probe in flight is overtaken and its result ignored.
    public mutating func changeObserved(at now: Instant) -> Action {
        let deadline = now.advanced(by: configuration.settleWindow)
        state = .settling(quietUntil: deadline)
        return .waitUntil(deadline)
    }

    /// The driver's wait ended without a change.
    public mutating func deadlineReached(at now: Instant) -> Action {
        switch state {
        case .idle:
            return .waitForChange
        case .probing:
            return .probe
        case .settling(let deadline):
            guard now >= deadline else { return .waitUntil(deadline) }
            state = .probing(failures: 0)
            return .probe
        case .waitingToProbe(let deadline, let failures):
            guard now >= deadline else { return .waitUntil(deadline) }
            state = .probing(failures: failures)
            return .probe
        }
    }

    /// A probe ended. If a change arrived meanwhile, the machine is settling again and ignores the result.
    public mutating func probeFinished(answered: Bool, at now: Instant) -> Action {
        guard case .probing(let failures) = state else {
            return deadlineReached(at: now)
        }
        if answered {
            state = .idle
            return .resync
        }
        let deadline = now.advanced(by: configuration.probeBackoff.delay(afterFailures: failures))
        state = .waitingToProbe(until: deadline, failures: failures + 1)
        return .waitUntil(deadline)
    }
}
