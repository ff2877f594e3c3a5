import BerthManifest
import BerthMetrics
import Foundation
import KubeClient
import Logging
import NIOCore

extension ForwardReconciler {
    /// Why a forward's listeners could not all be bound.
    struct ListenFailure {
        var reason: ForwardReason
        var message: String
    }

    /// Makes the bound listeners match the spec's ports. A changed remote port keeps its listener (only the
    /// endpoint moves); a changed local port or address moves it; changed hold/warm settings rebuild it; ports no
    /// longer listed close. Returns the first bind failure; the ports that did bind keep serving.
    func converge(listenersOf spec: ForwardSpec, cluster: ClusterRegistry.Cluster, namespace: String) async -> ListenFailure? {
        let name = spec.name
        let loop = Self.loop(of: eventLoopGroup, cluster: cluster.id, namespace: namespace)
        var current = entries[name]?.ports.compactMap { $0 } ?? []
        var currentUDP = Array((entries[name]?.udpPorts ?? [:]).values)
        var nextUDP: [Int: RunningUDPPort] = [:]
        var next: [RunningPort?] = []
        var failure: ListenFailure?
        let host = Self.bindHost(spec.address)

        for (place, mapping) in spec.ports.enumerated() {
            if mapping.protocol == .udp {
                next.append(nil)
                if let index = currentUDP.firstIndex(where: { $0.requestedAddress == spec.address && $0.requestedLocal == mapping.local }) {
                    nextUDP[place] = currentUDP.remove(at: index)
                    continue
                }
                do {
                    var logger = logger
                    logger[metadataKey: "forward"] = "\(spec.name)"
                    let port = try await UDPRelayPort.bind(
                        host: host, port: mapping.local, connector: connector(spec, cluster: cluster, logger: logger),
                        eventLoop: loop, metrics: forwardMetrics(spec.name), logger: logger)
                    nextUDP[place] = RunningUDPPort(requestedAddress: spec.address, requestedLocal: mapping.local, port: port)
                    logger.info("listening", metadata: ["local": "\(port.localAddress)/udp", "remote": "\(mapping.remote)"])
                } catch {
                    failure = failure ?? Self.listenFailure(error)
                }
                continue
            }
            if let index = current.firstIndex(where: {
                $0.requestedAddress == spec.address && $0.requestedLocal == mapping.local && $0.hold == spec.hold && $0.warm == spec.warm
            }) {
                var kept = current.remove(at: index)
                kept.remote = mapping.remote
                next.append(kept)
                continue
            }
            // The same port with other settings is rebuilt: close it first so the port can be bound again.
            if let index = current.firstIndex(where: { $0.address == host && $0.requestedLocal == mapping.local && mapping.local != 0 }) {
                await current.remove(at: index).stop()
            }
            do {
                next.append(try await start(spec, mapping: mapping, host: host, cluster: cluster, on: loop))
            } catch {
                next.append(nil)
                failure = failure ?? Self.listenFailure(error)
            }
        }
        for leftover in current {
            await leftover.stop()
        }
        for leftover in currentUDP {
            await leftover.port.stop()
        }
        entries[name, default: Entry()].ports = next
        entries[name, default: Entry()].udpPorts = nextUDP
        // New listeners learn the endpoint already chosen (reconcile sets it again after resolving).
        return failure
    }

    /// The event loop that serves every forward to `namespace` of `cluster`: its listeners, connections and
    /// streams. A session to a pod lives on one loop and serves only streams on that loop, so giving each
    /// namespace one loop lets every forward to a pod share one session (and one TLS connection) to it, however
    /// many forwards name it; namespaces spread over the loops by a hash that is the same in every run.
    static func loop(of group: any EventLoopGroup, cluster: String, namespace: String) -> any EventLoop {
        let loops = Array(group.makeIterator())
        guard loops.count > 1 else { return loops.first ?? group.next() }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a: Swift's Hasher is seeded anew in every process.
        for byte in "\(cluster)/\(namespace)".utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        }
        return loops[Int(hash % UInt64(loops.count))]
    }

    private func start(
        _ spec: ForwardSpec, mapping: PortMapping, host: String, cluster: ClusterRegistry.Cluster, on loop: any EventLoop
    ) async throws -> RunningPort {
        let listener = try await ForwardListener.bind(host: host, port: mapping.local, eventLoop: loop)
        var logger = logger
        logger[metadataKey: "forward"] = "\(spec.name)"
        let connector = connector(spec, cluster: cluster, logger: logger)
        let (forward, handle) = await serve(listener, spec, connector: connector, remote: mapping.remote, logger: logger)
        var running = RunningPort(
            address: host, requestedAddress: spec.address, requestedLocal: mapping.local, remote: mapping.remote, hold: spec.hold, warm: spec.warm,
            cluster: cluster.id, transport: spec.transport, forward: forward, handle: handle)
        if spec.address == "localhost" {
            // What users expect of localhost:PORT: IPv6 clients (which try ::1 first) reach it too.
            do {
                let six = try await ForwardListener.bind(host: "::1", port: listener.port, eventLoop: loop)
                running.siblings.append(await serve(six, spec, connector: connector, remote: mapping.remote, logger: logger))
            } catch {
                logger.info("localhost is served on 127.0.0.1 only: cannot listen on [::1]:\(listener.port)", metadata: ["error": "\(error)"])
            }
        }
        return running
    }

    /// How the forward's streams reach its pod: the transport the spec chose, negotiated per cluster.
    private func connector(_ spec: ForwardSpec, cluster: ClusterRegistry.Cluster, logger: Logger) -> NegotiatingUpstreamConnector {
        let v4 = PortForwardUpstreamConnector(
            forward: spec.name, connection: cluster.connectionInfo, tlsContexts: clusters.tlsContexts, logger: logger)
        return NegotiatingUpstreamConnector(
            forward: spec.name, cluster: cluster.id, choice: spec.transport, v4: v4, sessions: clusters.sessions,
            memory: clusters.transports, logger: logger)
    }

    private func serve(
        _ listener: ForwardListener, _ spec: ForwardSpec, connector: NegotiatingUpstreamConnector, remote: RemotePort, logger: Logger
    ) async -> (forward: Forward, handle: ForwardSupervisor.Handle) {
        let configuration = ForwardConfiguration(name: spec.name, holdTimeout: spec.hold, warmStreams: spec.warm)
        let forward = Forward(
            listener: listener, configuration: configuration, connector: connector, clock: clock, logger: logger,
            metrics: forwardMetrics(spec.name),
            upstreamChanged: { [upstreamChanged, name = spec.name] in upstreamChanged(name) })
        let handle = await supervisor.start(forward)
        logger.info("listening", metadata: ["local": "\(listener.address)", "remote": "\(remote)"])
        return (forward, handle)
    }

    /// The series of forward `name`, which its TCP listeners and UDP ports share.
    private func forwardMetrics(_ name: String) -> ForwardMetrics {
        ForwardMetrics(forward: name, failureKinds: ForwardErrorKind.allCases.map(\.rawValue), factory: metrics.factory)
    }

    /// Closes every listener of the forward (removed or disabled).
    func tearDown(_ name: String) async {
        let ports = entries[name]?.ports ?? []
        let udpPorts = entries[name]?.udpPorts ?? [:]
        entries[name]?.ports = []
        entries[name]?.udpPorts = [:]
        entries[name]?.endpoint = nil
        for port in ports {
            await port?.stop()
        }
        for udp in udpPorts.values {
            await udp.port.stop()
        }
    }

    /// `localhost` binds the IPv4 loopback (and `::1` beside it when it can); literals bind as written.
    static func bindHost(_ address: String) -> String {
        address == "localhost" ? "127.0.0.1" : address
    }

    static func listenFailure(_ error: any Error) -> ListenFailure {
        switch error {
        case BerthDaemonError.portInUse(let address, let port):
            let holder = PlatformPortHolder.describe(port: port).map { " by \($0)" } ?? " by another process"
            return ListenFailure(reason: .portInUse, message: "cannot listen on \(address):\(port): the port is already in use\(holder)")
        case BerthDaemonError.bindPermissionDenied:
            return ListenFailure(reason: .permissionDenied, message: "\(error)")
        case BerthDaemonError.addressUnavailable:
            return ListenFailure(reason: .addressUnavailable, message: "\(error)")
        default:
            return ListenFailure(reason: .listenFailed, message: "\(error)")
        }
    }
}
