import Logging
import Reconcile
import Synchronization

/// Turns a stream of network changes into resync signals: one per burst, after the network is quiet
/// for the settle window and the API server answers.
///
/// The decisions are ``SettleStateMachine``'s; this type only waits, probes and calls back.
public struct NetworkSettler<C: Clock>: Sendable where C.Duration == Duration {
    private let configuration: SettleStateMachine<C.Instant>.Configuration
    private let clock: C
    private let logger: Logger
    private let probe: @Sendable () async -> Bool

    /// Creates a settler.
    /// - Parameters:
    ///   - configuration: settle window and probe backoff.
    ///   - clock: the time source; tests pass a manual clock.
    ///   - logger: receives a line per phase.
    ///   - probe: "does the API server answer?"; it should bound its own duration.
    public init(
        configuration: SettleStateMachine<C.Instant>.Configuration = .init(),
        clock: C,
        logger: Logger,
        probe: @escaping @Sendable () async -> Bool
    ) {
        self.configuration = configuration
        self.clock = clock
        self.logger = logger
        self.probe = probe
    }

    /// Consumes `changes` and calls `onResync` once per settled burst, until the calling task is cancelled.
    public func run<Changes: AsyncSequence & Sendable>(
        changes: Changes,
        onResync: @escaping @Sendable () async -> Void
    ) async where Changes.Element == NetworkChange {
        let wakeup = AsyncWakeup()
        let changed = ChangeFlag()
        await withDiscardingTaskGroup { group in
            group.addTask {
                do {
                    for try await change in changes {
                        logger.debug("network changed", metadata: ["change": "\(change)"])
                        changed.raise()
                        wakeup.signal()
                    }
                } catch {
                    logger.warning("network change stream failed", metadata: ["error": "\(error)"])
                }
            }
            await settleLoop(wakeup: wakeup, changed: changed, onResync: onResync)
            group.cancelAll()
        }
    }

    private func settleLoop(wakeup: AsyncWakeup, changed: ChangeFlag, onResync: @Sendable () async -> Void) async {
        var machine = SettleStateMachine<C.Instant>(configuration: configuration)
        var action = SettleStateMachine<C.Instant>.Action.waitForChange
        while !Task.isCancelled {
            switch action {
            case .waitForChange:
                await wakeup.wait()
            case .waitUntil(let deadline):
                await wakeup.wait(until: deadline, clock: clock)
            case .probe:
                logger.debug("network quiet; probing the API server")
                let answered = await probe()
                if changed.take() {
                    action = machine.changeObserved(at: clock.now)
                } else {
                    action = machine.probeFinished(answered: answered, at: clock.now)
                }
                continue
            case .resync:
                logger.info("network settled; resyncing")
                await onResync()
                action = .waitForChange
                continue
            }
            if Task.isCancelled { return }
            action = changed.take() ? machine.changeObserved(at: clock.now) : machine.deadlineReached(at: clock.now)
        }
    }
}

/// "The network changed since you last looked": set by the consumer of changes, taken by the settle loop.
private final class ChangeFlag: Sendable {
    private let flag = Mutex(false)

    func raise() {
        flag.withLock { $0 = true }
    }

    func take() -> Bool {
        flag.withLock { flag in
            defer { flag = false }
            return flag
        }
    }
}
