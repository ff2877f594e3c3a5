import Logging
import NIOCore

/// What the fake kubelet's SPDY and WebSocket v4 sessions share (docs/port-forward.md): one channel carrying
/// the bytes of several pod links. The channel's end ends every link; its reads wait while a link blocks
/// (``SessionReadGate``); its becoming writable again lets every link read from its pod. Each handler keeps
/// only what its protocol adds: framing, and how a link starts and finishes.
protocol PodLinkSession: ChannelDuplexHandler {
    associatedtype LinkKey: Hashable

    /// The pod the session forwards to, for logs.
    var pod: PortForwardPod { get }
    var logger: Logger { get }
    /// What the debug log says when the session fails.
    var failureMessage: Logger.Message { get }
    /// The handler's context while it is in a pipeline.
    var context: ChannelHandlerContext? { get set }
    var readGate: SessionReadGate<LinkKey> { get set }
    /// The links still open.
    var openLinks: [PodLink] { get }
    /// Ends every link: the channel is gone or going.
    func endAll()
}

extension PodLinkSession {
    func handlerRemoved(context: ChannelHandlerContext) {
        endAll()
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        endAll()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug(failureMessage, metadata: ["pod": "\(pod.name)", "error": "\(error)"])
        context.close(promise: nil)
    }

    func read(context: ChannelHandlerContext) {
        if readGate.mayRead() { context.read() }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            for link in openLinks { link.resumeReading() }
        }
        context.fireChannelWritabilityChanged()
    }
}
