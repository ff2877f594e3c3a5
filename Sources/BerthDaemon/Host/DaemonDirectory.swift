import BerthManifest
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import HostPortSyntax

/// Every live daemon of a runtime directory, read from the state files: how `berth status|diff|down` find the
/// daemon serving a file among several manifest sets, and how `berth up` finds one that already listens on a
/// port it needs (docs/cli-daemon.md, "Finding the daemon").
public struct DaemonDirectory: Sendable {
    /// Where daemons publish their state.
    public let runtimeDirectory: RuntimeDirectory

    /// A directory view over `runtimeDirectory`.
    public init(runtimeDirectory: RuntimeDirectory = .standard()) {
        self.runtimeDirectory = runtimeDirectory
    }

    /// The live daemons, by state file name. State (and a refusing socket) left by a dead daemon is removed.
    public func live() -> [DaemonState<DaemonStatus>] {
        let suffix = ".state.json"
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: runtimeDirectory.path) else { return [] }
        return names.filter { $0.hasSuffix(suffix) }.sorted().compactMap { name in
            switch StateFile<DaemonStatus>(path: runtimeDirectory.path + "/" + name).readValidated() {
            case .live(let state):
                return state
            case .removedStale:
                let socket = runtimeDirectory.path + "/" + name.dropLast(suffix.count) + ".sock"
                if UnixSocketProbe.connect(path: socket) == .refused { unlink(socket) }
                return nil
            case .absent:
                return nil
            }
        }
    }

    /// The live daemons that serve any of `files` (one of their manifest files is one of these).
    public func serving(anyOf files: ManifestSet) -> [DaemonState<DaemonStatus>] {
        let wanted = Set(files.paths)
        return live().filter { !wanted.isDisjoint(with: $0.manifests) }
    }

    /// A local port that a live daemon listens on and a manifest's forward would listen on too.
    public struct PortClash: Sendable {
        /// The daemon that listens there.
        public var daemon: DaemonState<DaemonStatus>
        /// Its forward that holds the port.
        public var holder: String
        /// The manifest's forward that wants it.
        public var forward: String
        /// The address and port, as `127.0.0.1:8080`.
        public var listen: String
    }

    /// The ports `manifest`'s enabled forwards would listen on that a live daemon of another manifest set holds
    /// already. Forwards with their own loopback address (local names) and port `0` never clash.
    public func clashes(with manifest: Manifest, excluding set: ManifestSet) -> [PortClash] {
        var clashes: [PortClash] = []
        for daemon in live() where daemon.manifests != set.paths {
            for theirs in daemon.status.forwards {
                for port in theirs.ports {
                    guard let bound = port.localPort else { continue }
                    // TCP and UDP listeners may share a port number; status writes a UDP port's remote as `53/udp`.
                    let udp = port.remote.hasSuffix("/udp")
                    let held = ([port.address] + (port.additionalAddresses ?? [])).compactMap(ListenAddress.init)
                    for spec in manifest.enabledForwards where !spec.ownAddress {
                        guard let mine = ListenAddress(spec.address),
                              spec.ports.contains(where: { $0.local == bound && ($0.protocol == .udp) == udp }),
                              held.contains(where: mine.overlaps) else { continue }
                        let listen = HostPort.format(host: spec.address, port: bound)
                        clashes.append(PortClash(daemon: daemon, holder: theirs.name, forward: spec.name, listen: listen))
                    }
                }
            }
        }
        return clashes
    }
}
