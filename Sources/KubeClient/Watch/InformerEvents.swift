import KubeAPI
import Synchronization

/// The changes of one informer as seen by one subscriber, from the moment it subscribed.
///
/// Buffering is bounded: when more than `capacity` events wait unread, they are all dropped and replaced by a
/// single `.resyncNeeded`. Dropping (rather than coalescing per key) keeps memory bounded by `capacity`, never by
/// the size of the collection, and costs a level-based reader nothing: after the marker it re-reads the
/// snapshot, which already contains every dropped change. The informer never waits for a slow subscriber.
///
/// The sequence ends when the informer stops, or when the iterating task is cancelled.
public struct InformerEvents<Object: KubeResource>: AsyncSequence, Sendable {
    /// Events of this informer.
    public typealias Element = InformerEvent<Object>
    /// Never throws: errors of the informer show in its status, not here.
    public typealias Failure = Never

    let handle: SubscriptionHandle<Object>

    /// Iterates the events; one iterator per subscription is expected.
    public func makeAsyncIterator() -> Iterator {
        Iterator(handle: handle)
    }

    /// Reads events in batches from the subscriber buffer, so a read never shifts an array.
    public struct Iterator: AsyncIteratorProtocol {
        /// Never throws.
        public typealias Failure = Never

        let handle: SubscriptionHandle<Object>
        var batch: [InformerEvent<Object>] = []
        var index = 0

        /// The next event, or nil when the informer stopped or the task was cancelled.
        public mutating func next() async -> InformerEvent<Object>? {
            if index == batch.count {
                guard let fresh = await handle.buffer.take() else { return nil }
                batch = fresh
                index = 0
            }
            defer { index += 1 }
            return batch[index]
        }
    }
}

/// Ends the subscription when the last sequence or iterator referring to it goes away.
final class SubscriptionHandle<Object: KubeResource>: Sendable {
    let buffer: SubscriberBuffer<Object>

    init(buffer: SubscriberBuffer<Object>) {
        self.buffer = buffer
    }

    deinit {
        buffer.finish(discardPending: true)
    }
}

/// One subscriber's bounded queue; the informer pushes, the subscriber takes.
final class SubscriberBuffer<Object: KubeResource>: Sendable {
    private struct State {
        var pending: [InformerEvent<Object>] = []
        var waiter: CheckedContinuation<[InformerEvent<Object>]?, Never>?
        var finished = false
        var onTermination: (@Sendable () -> Void)?
    }

    let capacity: Int
    private let state: Mutex<State>

    init(capacity: Int, onTermination: @escaping @Sendable () -> Void) {
        self.capacity = max(1, capacity)
        self.state = Mutex(State(onTermination: onTermination))
    }

    /// Appends events, never waiting. Overflow replaces everything unread by one `.resyncNeeded`.
    func push(_ events: [InformerEvent<Object>]) {
        guard !events.isEmpty else { return }
        let handOver: (CheckedContinuation<[InformerEvent<Object>]?, Never>, [InformerEvent<Object>])? =
            state.withLock { state in
                if state.finished { return nil }
                state.pending.append(contentsOf: events)
                if state.pending.count > capacity {
                    state.pending.removeAll(keepingCapacity: false)
                    state.pending.append(.resyncNeeded)
                }
                guard let waiter = state.waiter else { return nil }
                state.waiter = nil
                let batch = state.pending
                state.pending = []
                return (waiter, batch)
            }
        if let handOver { handOver.0.resume(returning: handOver.1) }
    }

    /// Everything unread, waiting for at least one event; nil once finished and drained, or on cancellation.
    func take() async -> [InformerEvent<Object>]? {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<[InformerEvent<Object>]?, Never>) in
                let immediate: [InformerEvent<Object>]?? = state.withLock { state in
                    if !state.pending.isEmpty {
                        let batch = state.pending
                        state.pending = []
                        return .some(batch)
                    }
                    if state.finished { return .some(nil) }
                    state.waiter = continuation
                    return .none
                }
                if let immediate { continuation.resume(returning: immediate) }
            }
        } onCancel: {
            finish(discardPending: true)
        }
    }

    /// Ends the subscription. A stopping informer lets the subscriber drain what is pending; a cancelled or
    /// abandoned subscriber does not need it.
    func finish(discardPending: Bool) {
        let (waiter, onTermination) = state.withLock { state in
            state.finished = true
            if discardPending { state.pending = [] }
            let waiter = state.waiter
            state.waiter = nil
            let onTermination = state.onTermination
            state.onTermination = nil
            return (waiter, onTermination)
        }
        waiter?.resume(returning: nil)
        onTermination?()
    }
}
