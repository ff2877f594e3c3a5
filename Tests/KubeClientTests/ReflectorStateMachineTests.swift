import KubeAPI
import KubeClient
import Testing

/// The action of the machine reduced to what the tables compare.
private enum Step: Equatable, CustomStringConvertible {
    case list(rv: String?, match: String?, continueToken: String?)
    case replace(rv: String?, watchFrom: String?)
    case watch(from: String?)
    case keepWatching
    case backoff(retryAfter: Duration?)

    init(_ action: ReflectorStateMachine.Action) {
        switch action {
        case .list(let options):
            self = .list(rv: options.resourceVersion, match: options.resourceVersionMatch, continueToken: options.continueToken)
        case .replaceStore(let rv, let watch): self = .replace(rv: rv, watchFrom: watch.resourceVersion)
        case .watch(let options): self = .watch(from: options.resourceVersion)
        case .keepWatching: self = .keepWatching
        case .backoff(_, let retryAfter): self = .backoff(retryAfter: retryAfter)
        }
    }

    var description: String {
        switch self {
        case .list(let rv, let match, let token): "list(rv: \(rv ?? "nil"), match: \(match ?? "nil"), continue: \(token ?? "nil"))"
        case .replace(let rv, let from): "replace(\(rv ?? "nil")) then watch(\(from ?? "nil"))"
        case .watch(let from): "watch(\(from ?? "nil"))"
        case .keepWatching: "keepWatching"
        case .backoff(let after): "backoff(retryAfter: \(after.map { "\($0)" } ?? "nil"))"
        }
    }
}

private func apiError(_ code: Int, reason: String = "", message: String = "", retryAfter: Int? = nil) -> KubeClientError {
    .api(status: Status(message: message, reason: reason, code: code), request: "test", retryAfterSeconds: retryAfter)
}

private let expired = apiError(410, reason: "Expired", message: "too old resource version")
private let tooLarge = apiError(504, reason: "Timeout", message: "Too large resource version: 99, current: 10")
private let refused = KubeClientError.transport(request: "test", description: "connection refused")
private let reset = KubeClientError.transport(request: "test", description: "connection reset by peer")
private let undecodable = KubeClientError.decoding(request: "test", description: "unexpected end of JSON")

/// Inputs that bring a fresh machine to "listed at RV 10, watch requested".
private let synced: [ReflectorStateMachine.Input] = [.start, .listPage(ListMeta(resourceVersion: "10"))]
/// …and the watch is open.
private let watching = synced + [.watchOpened]

/// One row: from the state `given` leaves, `input` must produce `expect`; then `then` (default: the backoff
/// elapsing) must produce `thenExpect`.
struct Transition: Sendable, CustomTestStringConvertible {
    let name: String
    let given: [ReflectorStateMachine.Input]
    let input: ReflectorStateMachine.Input
    fileprivate let expect: Step
    let then: ReflectorStateMachine.Input?
    fileprivate let thenExpect: Step?

    fileprivate init(
        _ name: String, given: [ReflectorStateMachine.Input], _ input: ReflectorStateMachine.Input, _ expect: Step,
        then: ReflectorStateMachine.Input? = nil, _ thenExpect: Step? = nil
    ) {
        self.name = name
        self.given = given
        self.input = input
        self.expect = expect
        self.then = then ?? (thenExpect != nil ? .backoffElapsed : nil)
        self.thenExpect = thenExpect
    }

    var testDescription: String { name }
}

private let transitions: [Transition] = [
    // Listing
    Transition("first list asks for any RV", given: [], .start, .list(rv: "0", match: nil, continueToken: nil)),
    Transition(
        "a continue token asks for the next page without RV", given: [.start],
        .listPage(ListMeta(resourceVersion: "10", continue: "c1")), .list(rv: nil, match: nil, continueToken: "c1")),
    Transition(
        "the last page replaces the store at the first page's RV and watches from it",
        given: [.start, .listPage(ListMeta(resourceVersion: "10", continue: "c1"))],
        .listPage(ListMeta(resourceVersion: "10")), .replace(rv: "10", watchFrom: "10")),
    Transition(
        "410 on a list relists at once with a consistent read", given: [.start], .listFailed(expired),
        .list(rv: nil, match: nil, continueToken: nil)),
    Transition(
        "504 ResourceVersionTooLarge relists at once with a consistent read", given: [.start], .listFailed(tooLarge),
        .list(rv: nil, match: nil, continueToken: nil)),
    Transition(
        "410 on the consistent read too backs off, then retries the consistent read",
        given: [.start, .listFailed(expired)], .listFailed(expired), .backoff(retryAfter: nil),
        .list(rv: nil, match: nil, continueToken: nil)),
    Transition(
        "410 on a continue page relists at once from scratch",
        given: [.start, .listPage(ListMeta(resourceVersion: "10", continue: "c1"))], .listFailed(expired),
        .list(rv: nil, match: nil, continueToken: nil)),
    Transition(
        "a 500 on the list backs off then lists again", given: [.start], .listFailed(apiError(500)),
        .backoff(retryAfter: nil), .list(rv: "0", match: nil, continueToken: nil)),
    Transition(
        "no answer on the list backs off then lists again", given: [.start], .listFailed(refused),
        .backoff(retryAfter: nil), .list(rv: "0", match: nil, continueToken: nil)),
    Transition(
        "a consistent read that succeeds clears the unavailable RV",
        given: [.start, .listFailed(expired), .listPage(ListMeta(resourceVersion: "20")), .watchOpened],
        .watchErrorEvent(FakeStatus.expired), .backoff(retryAfter: nil),
        .list(rv: "20", match: "NotOlderThan", continueToken: nil)),

    // Watching
    Transition("an opened watch keeps going", given: synced, .watchOpened, .keepWatching),
    Transition(
        "events move the RV the next watch starts from", given: watching, .watchEvent(resourceVersion: "11"),
        .keepWatching, then: .watchEnded(duration: .milliseconds(10), events: 1), .watch(from: "11")),
    Transition(
        "bookmarks move the RV too", given: watching + [.watchEvent(resourceVersion: "11")],
        .watchEvent(resourceVersion: "15"), .keepWatching,
        then: .watchEnded(duration: .seconds(300), events: 2), .watch(from: "15")),
    Transition(
        "ERROR 410 relists from the last RV, not older than", given: watching + [.watchEvent(resourceVersion: "11")],
        .watchErrorEvent(FakeStatus.expired), .backoff(retryAfter: nil),
        .list(rv: "11", match: "NotOlderThan", continueToken: nil)),
    Transition(
        "ERROR 500 relists after backoff", given: watching, .watchErrorEvent(Status(message: "boom", code: 500)),
        .backoff(retryAfter: nil), .list(rv: "10", match: "NotOlderThan", continueToken: nil)),
    Transition(
        "a clean end after events re-watches at once without relisting", given: watching,
        .watchEnded(duration: .milliseconds(200), events: 3), .watch(from: "10")),
    Transition(
        "a clean end after a second re-watches at once", given: watching, .watchEnded(duration: .seconds(5), events: 0),
        .watch(from: "10")),
    Transition(
        "a very short empty watch is an error: backoff, relist", given: watching,
        .watchEnded(duration: .milliseconds(500), events: 0), .backoff(retryAfter: nil),
        .list(rv: "10", match: "NotOlderThan", continueToken: nil)),
    Transition(
        "connection refused on the watch backs off, then re-watches", given: synced, .watchOpenFailed(refused),
        .backoff(retryAfter: nil), .watch(from: "10")),
    Transition(
        "429 on the watch backs off at least Retry-After, then re-watches", given: synced,
        .watchOpenFailed(apiError(429, reason: "TooManyRequests", retryAfter: 7)), .backoff(retryAfter: .seconds(7)),
        .watch(from: "10")),
    Transition(
        "403 on the watch backs off, then relists", given: synced, .watchOpenFailed(apiError(403, reason: "Forbidden")),
        .backoff(retryAfter: nil), .list(rv: "10", match: "NotOlderThan", continueToken: nil)),
    Transition(
        "an HTTP 410 answer to the watch backs off, then relists from the last RV", given: synced,
        .watchOpenFailed(expired), .backoff(retryAfter: nil), .list(rv: "10", match: "NotOlderThan", continueToken: nil)),
    Transition(
        "a dropped healthy stream re-watches at once from the last RV",
        given: watching + [.watchEvent(resourceVersion: "11")],
        .watchFailed(reset, duration: .milliseconds(100), events: 1), .watch(from: "11")),
    Transition(
        "a stream dropped before any progress backs off, then re-watches", given: watching,
        .watchFailed(reset, duration: .milliseconds(100), events: 0), .backoff(retryAfter: nil), .watch(from: "10")),
    Transition(
        "an undecodable stream backs off, then relists", given: watching,
        .watchFailed(undecodable, duration: .seconds(3), events: 2), .backoff(retryAfter: nil),
        .list(rv: "10", match: "NotOlderThan", continueToken: nil)),
    Transition(
        "429 inside the stream backs off, then re-watches", given: watching,
        .watchFailed(apiError(429), duration: .seconds(3), events: 2), .backoff(retryAfter: nil), .watch(from: "10")),
]

private enum FakeStatus {
    static let expired = Status(message: "too old resource version: 1 (5)", reason: "Expired", code: 410)
}

@Suite struct ReflectorStateMachineTests {
    @Test(arguments: transitions)
    func transition(_ row: Transition) {
        var machine = ReflectorStateMachine(random: SeededRandom(seed: 1))
        for input in row.given { _ = machine.event(input) }
        #expect(Step(machine.event(row.input)) == row.expect)
        if let then = row.then, let thenExpect = row.thenExpect {
            #expect(Step(machine.event(then)) == thenExpect)
        }
    }

    @Test func watchRequestsAskForBookmarksAndARandomTimeoutOfFiveToTenMinutes() throws {
        var machine = ReflectorStateMachine(labelSelector: "app=shop", fieldSelector: "spec.nodeName=n1", random: SeededRandom(seed: 8))
        _ = machine.event(.start)
        var timeouts: Set<Int> = []
        var action = machine.event(.listPage(ListMeta(resourceVersion: "10")))
        guard case .replaceStore(_, let first) = action else {
            Issue.record("expected replaceStore, got \(action)")
            return
        }
        var options = first
        _ = machine.event(.watchOpened)
        for _ in 0..<300 {
            #expect(options.allowWatchBookmarks)
            #expect(options.labelSelector == "app=shop")
            #expect(options.fieldSelector == "spec.nodeName=n1")
            let timeout = try #require(options.timeoutSeconds)
            #expect((300...599).contains(timeout))
            timeouts.insert(timeout)
            action = machine.event(.watchEnded(duration: .seconds(timeout), events: 0))
            guard case .watch(let next) = action else {
                Issue.record("expected watch, got \(action)")
                return
            }
            options = next
            _ = machine.event(.watchOpened)
        }
        #expect(timeouts.count > 100, "timeouts should spread over the range")
        #expect(timeouts.min()! < 350 && timeouts.max()! > 550)
    }

    @Test func sameSeedDrawsTheSameTimeouts() {
        func timeouts(seed: UInt64) -> [Int?] {
            var machine = ReflectorStateMachine(random: SeededRandom(seed: seed))
            _ = machine.event(.start)
            _ = machine.event(.listPage(ListMeta(resourceVersion: "1")))
            return (0..<10).map { _ in
                _ = machine.event(.watchOpened)
                if case .watch(let options) = machine.event(.watchEnded(duration: .seconds(2), events: 0)) {
                    return options.timeoutSeconds
                }
                return nil
            }
        }
        #expect(timeouts(seed: 5) == timeouts(seed: 5))
        #expect(timeouts(seed: 5) != timeouts(seed: 6))
    }

    @Test func everyPageCarriesTheSelectorsAndTheLimit() {
        var machine = ReflectorStateMachine(labelSelector: "app=shop", random: SeededRandom(seed: 2))
        var pages: [ListOptions] = []
        if case .list(let options) = machine.event(.start) { pages.append(options) }
        if case .list(let options) = machine.event(.listPage(ListMeta(resourceVersion: "7", continue: "a"))) { pages.append(options) }
        if case .list(let options) = machine.event(.listPage(ListMeta(resourceVersion: "7", continue: "b"))) { pages.append(options) }
        #expect(pages.count == 3)
        #expect(pages.allSatisfy { $0.limit == 500 && $0.labelSelector == "app=shop" })
        #expect(pages.map(\.continueToken) == [nil, "a", "b"])
        let last = machine.event(.listPage(ListMeta(resourceVersion: "7")))
        #expect(Step(last) == .replace(rv: "7", watchFrom: "7"))
        #expect(machine.lastResourceVersion == "7")
        #expect(machine.phase == .watching)
    }

    @Test func theVeryShortWatchErrorSaysWhatHappened() {
        var machine = ReflectorStateMachine(watchRequest: "WATCH /api/v1/pods", random: SeededRandom(seed: 2))
        for input in watching { _ = machine.event(input) }
        let action = machine.event(.watchEnded(duration: .milliseconds(100), events: 0))
        guard case .backoff(.transport(let request, let description), _) = action else {
            Issue.record("expected a transport error backoff, got \(action)")
            return
        }
        #expect(request == "WATCH /api/v1/pods")
        #expect(description.contains("very short watch"))
        #expect(machine.phase == .backingOff(relist: true))
    }
}
