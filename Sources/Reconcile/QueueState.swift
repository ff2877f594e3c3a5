/// The queue's bookkeeping, mutated only under the queue's lock.
struct QueueState<Key: Hashable & Sendable> {
    /// A getter suspended in `get()` while the queue was empty.
    struct Getter {
        let id: UInt64
        let continuation: CheckedContinuation<Key?, Never>
    }

    /// A key handed straight to a suspended getter; resumed outside the lock.
    struct HandOff {
        let continuation: CheckedContinuation<Key?, Never>
        let key: Key

        func resume() { continuation.resume(returning: key) }
    }

    /// Ready keys in FIFO order.
    var queue: [Key] = []
    /// Keys that need processing: queued, or re-added while in progress.
    var dirty: Set<Key> = []
    /// Keys handed out and not yet `done`.
    var processing: Set<Key> = []
    /// Keys waiting for a deadline (time since the queue's clock origin).
    var parked: [Key: Duration] = [:]
    /// Consecutive rate-limited adds per key.
    var failures: [Key: Int] = [:]
    var getters: [Getter] = []
    var drainWaiters: [CheckedContinuation<Void, Never>] = []
    var shuttingDown = false
    var nextID: UInt64 = 0

    /// Marks `key` dirty and queues it, unless it is already queued or in progress.
    mutating func add(_ key: Key) -> HandOff? {
        guard dirty.insert(key).inserted else { return nil }
        guard !processing.contains(key) else { return nil }
        if !getters.isEmpty {
            let getter = getters.removeFirst()
            dirty.remove(key)
            processing.insert(key)
            return HandOff(continuation: getter.continuation, key: key)
        }
        queue.append(key)
        return nil
    }

    mutating func popReady() -> Key? {
        guard !queue.isEmpty else { return nil }
        let key = queue.removeFirst()
        dirty.remove(key)
        processing.insert(key)
        return key
    }

    /// Queues every parked key whose deadline has passed, earliest first.
    mutating func promoteParked(now: Duration) -> ([HandOff], Duration?) {
        let due = parked.filter { $0.value <= now }.sorted { $0.value < $1.value }
        var handOffs: [HandOff] = []
        for (key, _) in due {
            parked.removeValue(forKey: key)
            if let handOff = add(key) { handOffs.append(handOff) }
        }
        return (handOffs, parked.values.min())
    }

    mutating func takeDrainWaitersIfIdle() -> [CheckedContinuation<Void, Never>] {
        guard shuttingDown, queue.isEmpty, processing.isEmpty else { return [] }
        defer { drainWaiters.removeAll() }
        return drainWaiters
    }
}
