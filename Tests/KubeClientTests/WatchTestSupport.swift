import BerthMetrics
import BerthTestSupport
import KubeAPI
import KubeClient
import KubeClientTesting
import Logging
import Synchronization
import Testing

/// Backoff warnings are expected by the hundred in these tests; keep the output readable.
let quietLogger = Logger(label: "test.watch", factory: { _ in SwiftLogNoOpLogHandler() })

/// A namespaced test kind; the fake stamps its resourceVersion.
struct Widget: MetadataWritable, Equatable {
    static let apiGroup = "test.berth.dev"
    static let apiVersion = "v1"
    static let resource = "widgets"
    static let kind = "Widget"

    var metadata: ObjectMeta
    var size: Int

    init(_ name: String, namespace: String = "shop", size: Int = 0) {
        self.metadata = ObjectMeta(name: name, namespace: namespace)
        self.size = size
    }
}

/// A value behind a lock, shareable with `@Sendable` closures (a `Mutex` itself cannot be captured).
final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    init(_ value: Value) { mutex = Mutex(value) }

    func withLock<Result: Sendable>(_ body: (inout Value) -> Result) -> Result {
        mutex.withLock { body(&$0) }
    }
}

/// Everything a reflector test observes: the fake server, the manual clock, the store and the reflector's events.
final class WatchHarness: Sendable {
    let progress: ProgressSignal
    let fake: FakeListerWatcher<Widget>
    let clock: ManualClock
    let store = Store<Widget>()
    let sleeps: Locked<[Duration]>
    let events = Locked<[ReflectorEvent<Widget>]>([])
    let logger: Logger

    init(historyLimit: Int = 1_000, apiMetrics: APIMetrics? = nil, logger: Logger = quietLogger) {
        self.logger = logger
        let progress = ProgressSignal()
        let sleeps = Locked<[Duration]>([])
        self.progress = progress
        self.sleeps = sleeps
        fake = FakeListerWatcher(historyLimit: historyLimit, progress: progress, apiMetrics: apiMetrics)
        clock = ManualClock { length in
            sleeps.withLock { $0.append(length) }
            progress.bump()
        }
    }

    var statuses: [InformerStatus] {
        events.withLock { $0.compactMap { if case .status(let status) = $0 { status } else { nil } } }
    }

    var replacements: [[StoreChange<Widget>]] {
        events.withLock { $0.compactMap { if case .replaced(let changes) = $0 { changes } else { nil } } }
    }

    var sleepCount: Int { sleeps.withLock { $0.count } }

    func reflector(seed: UInt64 = 1) -> Reflector<FakeListerWatcher<Widget>> {
        Reflector(
            listerWatcher: fake, store: store, clock: clock, logger: logger,
            random: SeededRandom(seed: seed)
        ) { [events, progress] event in
            events.withLock { $0.append(event) }
            progress.bump()
        }
    }

    /// Runs a reflector while `body` runs, then cancels it and waits for it to end.
    func withReflector(seed: UInt64 = 1, _ body: () async throws -> Void) async throws {
        let reflector = reflector(seed: seed)
        let task = Task { await reflector.run() }
        do {
            try await body()
        } catch {
            task.cancel()
            await task.value
            throw error
        }
        task.cancel()
        await task.value
    }

    var storeEqualsSource: Bool {
        store.hasSynced && store.snapshot().objects == fake.objects
    }

    /// Waits until `condition` holds, re-checking after every bit of progress; never advances the clock.
    func until(_ condition: () -> Bool) async throws {
        try await progress.until { condition() ? .done : .wait }
    }

    /// Lets the reflector converge: re-checks after every bit of progress, and whenever the reflector is asleep
    /// (backoff) advances the manual clock to its wake-up time. Returns once the store equals the fake's state.
    func settle(until condition: (() -> Bool)? = nil) async throws {
        let done = condition ?? { self.storeEqualsSource }
        try await progress.until(
            "store \(store.snapshot().count) objects at \(store.resourceVersion ?? "-"), source \(fake.objects.count) at \(fake.resourceVersion)"
        ) {
            if done() { return .done }
            return clock.advanceToNextDeadline() != nil ? .again : .wait
        }
    }
}
