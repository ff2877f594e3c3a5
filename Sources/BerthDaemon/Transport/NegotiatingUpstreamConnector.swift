import BerthManifest
import KubePortForward
import Logging
import NIOCore

/// The production multiplexed session.
extension PortForwardSession: MultiplexedSession {}

/// Opens each upstream stream the way the forward's `transport` says (docs/port-forward.md, "Choosing a
/// transport"): inside a shared SPDY session to the pod (tunnelled in a WebSocket, or over the SPDY upgrade),
/// or as one v4 WebSocket per connection. Under `auto` it negotiates with `TransportNegotiation`, starting
/// with what worked last for the cluster, and logs once when the cluster's transport is chosen or changes.
public struct NegotiatingUpstreamConnector: UpstreamConnector {
    private let forward: String
    private let cluster: String
    private let choice: TransportChoice
    private let v4: PortForwardUpstreamConnector
    private let sessions: SessionPool
    private let memory: TransportMemory
    private let logger: Logger

    /// Creates a connector for one forward.
    /// - Parameters:
    ///   - v4: the WebSocket v4 connector of the same forward; its dialer opens the sessions too.
    ///   - sessions: the daemon's session pool; `memory`: the daemon's per-cluster transport memory.
    public init(
        forward: String, cluster: String, choice: TransportChoice, v4: PortForwardUpstreamConnector,
        sessions: SessionPool, memory: TransportMemory, logger: Logger
    ) {
        self.forward = forward
        self.cluster = cluster
        self.choice = choice
        self.v4 = v4
        self.sessions = sessions
        self.memory = memory
        self.logger = logger
    }

    /// Opens a stream to `endpoint` on `eventLoop`, autoRead off, with the stand-by handler installed.
    public func connect(to endpoint: UpstreamEndpoint, on eventLoop: any EventLoop) async throws -> UpstreamStream {
        var negotiation = TransportNegotiation(choice: choice, remembered: memory.transport(for: cluster))
        var decision = negotiation.start
        var failure: (any Error)?
        while case .attempt(let transport) = decision {
            do {
                let stream = try await attempt(transport, to: endpoint, on: eventLoop)
                if choice == .auto, memory.remember(transport, for: cluster) {
                    logger.notice(
                        "port-forward transport chosen",
                        metadata: ["cluster": "\(cluster)", "transport": "\(transport.rawValue)"])
                }
                return stream
            } catch {
                failure = error
                decision = negotiation.next(after: Self.outcome(of: error))
                if case .attempt(let next) = decision {
                    logger.info(
                        "port-forward transport not served; trying the next",
                        metadata: ["transport": "\(transport.rawValue)", "next": "\(next.rawValue)", "error": "\(error)"])
                }
            }
        }
        throw v4.mapped(failure ?? BerthDaemonError.sessionPoolShutDown, endpoint: endpoint)
    }

    /// What an attempt's error means for the negotiation.
    static func outcome(of error: any Error) -> TransportNegotiation.Outcome {
        switch error {
        case PortForwardError.upgradeRejected(let code, _, _): .rejected(code: code)
        case PortForwardError.protocolNotNegotiated: .wrongProtocol
        default: .unreachable
        }
    }

    private func attempt(_ transport: TransportChoice, to endpoint: UpstreamEndpoint, on eventLoop: any EventLoop) async throws -> UpstreamStream {
        guard let wire = PortForwardTransport(rawValue: transport.rawValue), wire != .websocket else {
            return try await v4.withFreshCredentialsOn401 { try await v4.dial(endpoint, on: eventLoop) }
        }
        let key = SessionKey(
            cluster: cluster, namespace: endpoint.namespace, pod: endpoint.podName, podUID: endpoint.podUID, loop: eventLoop)
        let pod = PortForwardPod(namespace: endpoint.namespace, pod: endpoint.podName)
        let open: SessionPool.Open = { [v4, sessions] in
            try await v4.withFreshCredentialsOn401 {
                let dialer = try await v4.makeDialer(on: eventLoop)
                return try await dialer.openSession(to: pod, transport: wire, on: eventLoop, maxStreams: sessions.settings.maxStreams)
            }
        }
        do {
            return try await openStream(key, port: endpoint.port, on: eventLoop, open: open)
        } catch PortForwardError.sessionClosed, PortForwardError.sessionFull {
            // The session died or filled between the pool's choice and the stream: once more, in another.
            return try await openStream(key, port: endpoint.port, on: eventLoop, open: open)
        }
    }

    private func openStream(
        _ key: SessionKey, port: Int, on eventLoop: any EventLoop, open: @escaping SessionPool.Open
    ) async throws -> UpstreamStream {
        // The stand-by handler's end is taken as the stream is set up: the kubelet's error can close the
        // stream (and remove the handler) before the connect returns, and the data plane needs its cause.
        let exit = eventLoop.makePromise(of: StandbyExit.self)
        do {
            let channel = try await sessions.openStream(key, port: port, open: open) { channel in
                channel.eventLoop.makeCompletedFuture {
                    // The pump reads on demand; nothing may reach the tail before it is installed.
                    try channel.syncOptions?.setOption(ChannelOptions.autoRead, value: false)
                    let standby = try UpstreamStream.installStandbyHandler(to: channel.pipeline.syncOperations)
                    standby.exitFuture.cascade(to: exit)
                }
            }
            var stream = UpstreamStream(channel: channel, supportsHalfClose: true, multiplexed: true, standbyExit: exit.futureResult)
            stream.neverReachedPod = PortForwardUpstreamConnector.kubeletCouldNotDial
            return stream
        } catch {
            exit.succeed(.died(cause: error))
            throw error
        }
    }
}
