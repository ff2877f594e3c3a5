extension ForwardReconciler {
    /// The running data-plane forwards of `name`, one per bound listener; the prober dials through them.
    ///
    /// Read-only: the probe never changes the reconciler's entries, so reconcile's one-writer rule holds.
    func runningForwards(of name: String) -> [Forward] {
        entries[name]?.ports.flatMap { $0?.forwards ?? [] } ?? []
    }
}
