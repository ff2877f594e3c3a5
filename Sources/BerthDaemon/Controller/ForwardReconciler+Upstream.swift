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

    /// How long streams to a pod that looks Ready may fail before the forward says `Failed`. A pod being
    /// deleted fails its streams a moment before the watch reports it; until then, and for a pod the API
    /// no longer has (NotFound) or an API server that cannot be reached (ClusterUnreachable), the forward is
    /// `Rebinding`: `Failed` is for what a person must fix.
    static let upstreamFailureGrace: Duration = .seconds(3)

    /// `live`, with the other UID of every pair one of whose UIDs is live.
    static func livePods(_ live: Set<String>, pairedIn pairs: [(String, String)]) -> Set<String> {
        var result = live
        for (uid, other) in pairs where live.contains(uid) || live.contains(other) {
            result.formUnion([uid, other])
        }
        return result
    }

    /// How many endpoints with two UIDs a forward remembers (`Entry.uidPairs`).
    static let uidPairsKept = 8

    /// When `failure` is a rebind rather than `Failed`, the delay after which to look again; nil for `Failed`.
    func rebindingFor(_ failure: UpstreamFailure, of name: String) -> Duration? {
        switch failure.reason {
        case .forbidden, .unauthorized:
            return nil  // the API server refused: a person must grant or log in
        case .notFound:
            return Self.upstreamFailureGrace  // the pod is gone; its deletion event is on its way
        case .clusterUnreachable:
            // The API server is down or out of reach (a partition, a restart): waiting fixes it, and the daemon
            // restarts streams and watches the moment it answers again. Said once per spell.
            if entries[name]?.unreachableSaid == false {
                entries[name]?.unreachableSaid = true
                apiServerUnreachable()
            }
            return Self.upstreamFailureGrace
        default:
            let now = elapsed.now()
            let since = entries[name]?.upstreamFailingSince ?? now
            entries[name]?.upstreamFailingSince = since
            let failingFor = now - since
            return failingFor < Self.upstreamFailureGrace ? Self.upstreamFailureGrace - failingFor : nil
        }
    }

    /// Closes the connections still bridged to pods that are gone from the API (force-deleted, or their grace
    /// period over): their streams are dead. Connections to pods that still exist, terminating or not, drain;
    /// so do those to a pod only an EndpointSlice knows yet (`ObservedObjects.livePodUIDs`). A pods store that
    /// has not synced (a fresh informer still listing) says nothing about which pods are gone: nothing is closed.
    /// An endpoint that had two UIDs (the slices and the pods store each naming another pod of that name, one of
    /// them behind) counts as live while either is: its connections went to whichever pod had the name.
    func closeConnectionsToGonePods(_ name: String, objects: ObservedObjects) async {
        guard objects.synced.contains(.pods) else { return }
        let live = Self.livePods(objects.livePodUIDs, pairedIn: entries[name]?.uidPairs ?? [])
        for forward in entries[name]?.ports.flatMap({ $0?.forwards ?? [] }) ?? [] {
            await forward.closeConnections(exceptToPods: live, reason: "pod deleted")
        }
    }
}
