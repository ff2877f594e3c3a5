import Dispatch
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Waits for SIGINT or SIGTERM with dispatch signal sources (the default handlers are ignored first, so
/// the process ends through an orderly shutdown).
enum SignalWaiter {
    /// Installs the handlers, runs `ready`, and returns the first termination signal received.
    static func waitForTermination(ready: () -> Void) async -> Int32 {
        let queue = DispatchQueue(label: "fake-kube.signals")
        let sources = [SIGINT, SIGTERM].map { number -> (Int32, any DispatchSourceSignal) in
            signal(number, SIG_IGN)
            return (number, DispatchSource.makeSignalSource(signal: number, queue: queue))
        }
        ready()
        let received = await withCheckedContinuation { (continuation: CheckedContinuation<Int32, Never>) in
            let once = OnceFlag()
            for (number, source) in sources {
                source.setEventHandler {
                    if once.claim() { continuation.resume(returning: number) }
                }
                source.resume()
            }
        }
        for (_, source) in sources { source.cancel() }
        return received
    }
}

/// True exactly once: the continuation above must resume only for the first signal.
private final class OnceFlag: Sendable {
    private let claimed = Mutex(false)

    func claim() -> Bool {
        claimed.withLock { claimed in
            defer { claimed = true }
            return !claimed
        }
    }
}
