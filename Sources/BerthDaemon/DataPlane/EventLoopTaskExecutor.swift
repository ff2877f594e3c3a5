import NIOCore

/// Runs the jobs of the tasks that prefer it on one event loop. A forward's tasks (its accept loop, the
/// task serving each connection, its warm pool's jobs) prefer their listener's loop, and the `Forward`
/// actor runs on that loop too, so a new connection goes from `accept` to the bridge on the thread that
/// carries its bytes, without waking a thread of the global pool at each step (docs/data-plane.md,
/// "Threads").
final class EventLoopTaskExecutor: TaskExecutor {
    let eventLoop: any EventLoop

    init(_ eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
