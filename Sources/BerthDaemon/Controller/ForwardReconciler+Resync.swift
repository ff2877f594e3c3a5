extension ForwardReconciler {
    /// Reopens at once the warm streams of every running forward that waits out a backoff: after a network
    /// change settled, the failures it caused say nothing about the network now.
    func retryWarmStreamsNow() async {
        for forward in entries.values.flatMap({ $0.ports.flatMap { $0?.forwards ?? [] } }) {
            await forward.retryWarmNow()
        }
    }
}
