extension ForwardReconciler {
    /// Why the forward's streams to its pod fail now (the first failing port), or nil when they work.
    ///
    /// Read from the forwards themselves, like every other status input: a pod the API server forbids
    /// berth to reach, or a port nobody serves in it, is `Failed` with the API server's or kubelet's words,
    /// and turns `Ready` again once a stream works (the forward enqueues the key when either happens).
    func upstreamFailure(of name: String) async -> UpstreamFailure? {
        for forward in entries[name]?.ports.flatMap({ $0?.forwards ?? [] }) ?? [] {
            if let failure = await forward.counters().upstreamFailure { return failure }
        }
        return nil
    }
}
