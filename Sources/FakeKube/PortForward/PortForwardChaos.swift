import NIOCore
import Synchronization

/// Faults of the path between a port-forward client and the kubelet, switched on and off at run time
/// (`/fake/v1/chaos/…`, docs/fake-kube.md). Every switch applies to open sessions as well as new ones.
public final class PortForwardChaos: Sendable {
    private struct State {
        var refuseWebSockets = false
        var ignorePings = false
        var idleCut: Duration?
    }

    private let state = Mutex(State())

    /// Creates the switches, all off.
    public init() {}

    /// A proxy that cannot carry WebSockets: every WebSocket upgrade of `pods/portforward` (the SPDY
    /// tunnel and v4) is answered `400` before it reaches the API server; the SPDY `POST` still works.
    public var refuseWebSockets: Bool {
        get { state.withLock { $0.refuseWebSockets } }
        set { state.withLock { $0.refuseWebSockets = newValue } }
    }

    /// SPDY sessions stop echoing the client's PINGs (a session that is dead but not closed).
    public var ignorePings: Bool {
        get { state.withLock { $0.ignorePings } }
        set { state.withLock { $0.ignorePings = newValue } }
    }

    /// A load balancer's idle timeout: a port-forward connection with no byte either way for this long
    /// is closed. `nil` never cuts.
    public var idleCut: Duration? {
        get { state.withLock { $0.idleCut } }
        set { state.withLock { $0.idleCut = newValue } }
    }
}

/// Closes an upgraded port-forward connection once it has been idle (no byte read or written) for the
/// chaos idle cut. Sits first in the pipeline; it only watches, never changes, what passes.
final class IdleCutHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer

    /// How often a connection looks at the switch while no cut is set.
    static let pollInterval = TimeAmount.milliseconds(250)

    private let chaos: PortForwardChaos
    private var lastActivity = NIODeadline.now()
    private var check: Scheduled<Void>?

    init(chaos: PortForwardChaos) {
        self.chaos = chaos
    }

    func handlerAdded(context: ChannelHandlerContext) {
        lastActivity = .now()
        schedule(context, in: Self.pollInterval)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        check?.cancel()
        check = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        check?.cancel()
        check = nil
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        lastActivity = .now()
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        lastActivity = .now()
        context.write(data, promise: promise)
    }

    private func schedule(_ context: ChannelHandlerContext, in delay: TimeAmount) {
        check = context.eventLoop.assumeIsolated().scheduleTask(in: delay) { self.look(context) }
    }

    private func look(_ context: ChannelHandlerContext) {
        guard context.channel.isActive else { return }
        guard let cut = chaos.idleCut.map(TimeAmount.init) else {
            schedule(context, in: Self.pollInterval)
            return
        }
        let idle = NIODeadline.now() - lastActivity
        if idle >= cut {
            context.close(promise: nil)
        } else {
            schedule(context, in: min(cut - idle, Self.pollInterval))
        }
    }
}
