import NIOCore
import Reconcile

// The accept path's common case, run without a task: a connection that finds a warm stream is bridged in the
// step that accepts it and followed to its end by callbacks on the loop (docs/data-plane.md, "Threads").
extension Forward {
    /// Runs `body` on the actor from code running on its loop (channel handlers, future callbacks): at once,
    /// without a task or a hop; from anywhere else, in a task.
    nonisolated func onLoop(_ body: @escaping @Sendable (isolated Forward) -> Void) {
        if eventLoop.inEventLoop {
            assumeIsolated { body($0) }
        } else {
            Task { await self.perform(body) }
        }
    }

    private func perform(_ body: @Sendable (isolated Forward) -> Void) {
        body(self)
    }

    /// Takes an accepted connection on the listener's loop (the actor's executor). One that finds a warm stream
    /// ready is bridged here and now, before anything else runs on the loop, so its first bytes go upstream on the
    /// loop's next read, and is followed to its end by callbacks on the loop: no task at all. Every other
    /// connection (one that must wait or dial) is served by a task.
    func accept(_ client: any Channel) {
        let admission = admit()
        if let route = admission.route, let warm = route.warm {
            let attached = attach(client, id: admission.id, route: route, stream: warm.stream)
            if case .bridged(let replayed, let counters) = attached {
                followToEnd(client, id: admission.id, along: route, stream: warm.stream, replayed: replayed, counters: counters)
                return
            }
            if !spawn({ await self.serve(client, admission: admission, attached: attached) }) {
                client.close(promise: nil)
            }
            return
        }
        if !spawn({ await self.serve(client, admission: admission) }) {
            client.close(promise: nil)
        }
    }

    /// Follows a connection that `accept` bridged until it ends, as the `bridged` case of `follow` does in a task.
    /// Should its stream turn out never to have reached the pod, the connection goes on in a task, held for the
    /// next stream like any other.
    private func followToEnd(
        _ client: any Channel, id: UInt64, along route: Route, stream: UpstreamStream,
        replayed: EventLoopFuture<(any Error)?>, counters: ByteCounters
    ) {
        logger.debug("connection bridged", metadata: ["connection": "\(id)", "pod": "\(route.endpoint)", "warm": "true"])
        stream.channel.closeFuture.whenComplete { [self] _ in
            replayed.whenSuccess { [self] cause in
                if let cause {
                    onLoop { $0.neverReachedPod(client, id: id, along: route, cause: cause) }
                    return
                }
                client.closeFuture.whenComplete { [self] _ in
                    onLoop { forward in
                        forward.unregister(id: id)
                        forward.logger.debug(
                            "connection closed",
                            metadata: ["connection": "\(id)", "bytesIn": "\(counters.inCount)", "bytesOut": "\(counters.outCount)"])
                    }
                }
            }
        }
    }

    /// A connection bridged by `accept` whose stream never reached the pod: it is back in stand-by with every byte
    /// it sent, and a task serves it from here, as `serve` would after the same failure.
    private func neverReachedPod(_ client: any Channel, id: UInt64, along route: Route, cause: any Error) {
        unregister(id: id)
        let failure = BerthDaemonError.upstreamConnectFailed(
            forward: configuration.name, endpoint: route.endpoint, reason: "\(cause)")
        noteUpstream(UpstreamFailure(failure))
        var route = route
        route.warm = nil
        let admission: Admission = (id, route, nil)
        if !spawn({ await self.serve(client, admission: admission, resumingAfter: failure) }) {
            client.close(promise: nil)
        }
    }
}
