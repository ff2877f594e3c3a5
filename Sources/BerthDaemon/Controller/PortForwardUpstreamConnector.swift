import KubeClient
import KubePortForward
import Logging
import NIOCore

/// Opens each upstream stream as a port-forward WebSocket through the API server of the forward's cluster.
///
/// A 401 on the upgrade means the credential expired (exec plugin, rotated token file): the connector
/// drops the cached credential and retries once. Every failure reaches the data plane as
/// `BerthDaemonError.upstreamConnectFailed` with a reason a user can act on.
public struct PortForwardUpstreamConnector: UpstreamConnector {
    private let forward: String
    private let connection: ClusterConnectionInfo
    private let tlsContexts: TLSContextCache
    private let logger: Logger

    /// Creates a connector for one forward of one cluster.
    /// - Parameter tlsContexts: shared by every forward of the daemon, so streams reuse one TLS context.
    public init(forward: String, connection: ClusterConnectionInfo, tlsContexts: TLSContextCache = TLSContextCache(), logger: Logger) {
        self.forward = forward
        self.connection = connection
        self.tlsContexts = tlsContexts
        self.logger = logger
    }

    /// Dials `pods/NAME/portforward?ports=PORT` with the channel on `eventLoop`, autoRead off.
    public func connect(to endpoint: UpstreamEndpoint, on eventLoop: any EventLoop) async throws -> UpstreamStream {
        do {
            return try await withFreshCredentialsOn401 { try await dial(endpoint, on: eventLoop) }
        } catch {
            throw mapped(error, endpoint: endpoint)
        }
    }

    /// Runs `attempt`; after a 401 (an expired credential: exec plugin, rotated token file) drops the cached
    /// credential and runs it once more. Errors come back as the dialer threw them.
    func withFreshCredentialsOn401<T>(_ attempt: () async throws -> T) async throws -> T {
        do {
            return try await attempt()
        } catch PortForwardError.upgradeRejected(401, _, _) {
            await connection.invalidateCredentials()
            return try await attempt()
        }
    }

    /// A dialer for the forward's cluster whose connections live on `eventLoop`.
    func makeDialer(on eventLoop: any EventLoop) async throws -> PortForwardDialer {
        let info = connection
        return try PortForwardDialer(
            server: info.server.url,
            tls: try await info.tlsConfiguration(),
            contextCache: tlsContexts,
            serverName: info.serverName,
            headers: { try await info.authorizationHeaders().map { ($0.name, $0.value) } },
            proxy: info.proxy,
            eventLoopGroup: eventLoop,
            logger: logger
        )
    }

    /// One v4 WebSocket to the endpoint, errors as the dialer threw them.
    func dial(_ endpoint: UpstreamEndpoint, on eventLoop: any EventLoop) async throws -> UpstreamStream {
        let dialer = try await makeDialer(on: eventLoop)
        let target = PortForwardTarget(namespace: endpoint.namespace, pod: endpoint.podName, port: endpoint.port)
        let (channel, exit) = try await dialer.dial(target) { channel in
            // The pump reads on demand; nothing may reach the tail before it is installed.
            try channel.syncOptions?.setOption(ChannelOptions.autoRead, value: false)
            // It also keeps the kubelet's error for the pod port, which can come with the port prefixes.
            let standby = try UpstreamStream.installStandbyHandler(to: channel.pipeline.syncOperations)
            return (channel, standby.exitFuture)
        }
        var stream = UpstreamStream(channel: channel, supportsHalfClose: false, standbyExit: exit)
        stream.neverReachedPod = Self.kubeletCouldNotDial
        return stream
    }

    /// Whether the kubelet said on the error channel that it could not dial the pod port: then not one byte of
    /// the stream reached the pod (docs/data-plane.md, "Connection rules").
    static func kubeletCouldNotDial(_ error: any Error) -> Bool {
        guard case PortForwardError.remoteError(_, _, let message) = error else { return false }
        return message.contains("failed to connect to localhost")
    }

    /// The error the data plane gets: a refusal (which retrying cannot fix) or a connect failure.
    func mapped(_ error: any Error, endpoint: UpstreamEndpoint) -> BerthDaemonError {
        if let (reason, message) = Self.refusal(error) {
            return .upstreamRefused(forward: forward, endpoint: endpoint, reason: reason, message: message)
        }
        if case PortForwardError.unreachable = error {
            return .apiServerUnreachable(forward: forward, endpoint: endpoint, reason: Self.reason(for: error))
        }
        return .upstreamConnectFailed(forward: forward, endpoint: endpoint, reason: Self.reason(for: error))
    }

    /// The status word and message of an API-server refusal, which retrying cannot fix; nil for other errors.
    static func refusal(_ error: any Error) -> (reason: ForwardReason, message: String)? {
        guard case PortForwardError.upgradeRejected(let code, let status, _) = error else { return nil }
        switch code {
        case 401: return (status?.reason.map(ForwardReason.init(word:)) ?? .unauthorized, reason(for: error))
        case 403: return (status?.reason.map(ForwardReason.init(word:)) ?? .forbidden, reason(for: error))
        case 404: return (status?.reason.map(ForwardReason.init(word:)) ?? .notFound, reason(for: error))
        default: return nil
        }
    }

    /// A user-facing sentence for a dial failure; forbidden names the RBAC verb and resource to grant.
    static func reason(for error: any Error) -> String {
        switch error {
        case PortForwardError.upgradeRejected(403, _, let message):
            return "forbidden: \(message) (berth needs get and create on pods/portforward)"
        case PortForwardError.upgradeRejected(401, _, _):
            return "unauthorized: the API server rejected the credentials (Unauthorized)"
        case PortForwardError.upgradeRejected(404, _, let message):
            return "not found: \(message)"
        case let error as PortForwardError:
            return error.description
        case let error as KubeClientError:
            return error.description
        default:
            return "\(error)"
        }
    }
}
