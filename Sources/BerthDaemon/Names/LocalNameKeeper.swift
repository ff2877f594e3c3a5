import BerthManifest
import Foundation
import Logging
import Synchronization

/// Gives forwards with local names their own loopback address and keeps the daemon's block of the hosts
/// file in step with the manifest (docs/local-names.md).
///
/// The addresses go into the specs before the controller sees them, so the reconciler binds them like any
/// written address. The block is rewritten only when its lines change; when the file is not writable the
/// forwards still run, the names show as not installed, and the block and the command that installs it
/// are logged once.
public final class LocalNameKeeper: Sendable {
    /// Where the hosts file is and how this daemon's block is named.
    public struct Settings: Sendable {
        /// The hosts file; nil leaves every hosts file alone (addresses are still given).
        public var hostsFile: String?
        /// Names the block: the daemon's manifest set id.
        public var blockID: String
        /// Where given addresses are remembered across restarts; nil remembers them for this run only.
        public var addressBook: AddressBook?
        /// What a user runs to install the block by hand, shown when berth cannot.
        public var installCommand: String
        /// What a user runs to remove the block by hand, shown when berth stops and cannot.
        public var uninstallCommand: String
        /// Where the kernel's socket tables are read (tests point it elsewhere).
        var procNet = "/proc/net"

        /// Creates settings.
        public init(
            hostsFile: String?, blockID: String, addressBook: AddressBook?,
            installCommand: String = "sudo berth hosts --install", uninstallCommand: String = "sudo berth hosts --uninstall"
        ) {
            self.hostsFile = hostsFile
            self.blockID = blockID
            self.addressBook = addressBook
            self.installCommand = installCommand
            self.uninstallCommand = uninstallCommand
        }
    }

    private struct State {
        var assigned: [String: String] = [:]
        var remembered: [String: String]?
        /// The block last tried, and whether the hosts file held it afterwards.
        var attempted: HostsBlock?
        var installed = false
        var noticeShown = false
        var lastFailure: String?
        var closed = false
    }

    /// The settings.
    public let settings: Settings
    private let logger: Logger
    private let state = Mutex(State())

    /// Creates a keeper; nothing is read or written until it is used.
    public init(settings: Settings, logger: Logger) {
        self.settings = settings
        self.logger = logger
    }

    // MARK: Addresses

    /// `manifest` with every enabled forward that has names and no address given its own loopback address.
    public func assignAddresses(_ manifest: Manifest) -> Manifest {
        let wanting = manifest.forwards.filter { $0.enabled && $0.ownAddress }.map(\.name)
        // The TCP ports those forwards will bind; a bind that would fail there shows an address is taken.
        let ports = Set(manifest.forwards.filter { $0.enabled && $0.ownAddress }.flatMap(\.ports)
            .filter { $0.protocol == .tcp && $0.local > 0 }.map(\.local))
        guard !wanting.isEmpty || state.withLock({ !$0.assigned.isEmpty }) else { return manifest }
        let allocator = LoopbackAllocator(range: manifest.defaults.addressRange)
        let (addresses, remember) = state.withLock { state -> ([String: String], [String: String]?) in
            let remembered = state.remembered ?? settings.addressBook?.read() ?? [:]
            var taken: Set<String>?
            var everywhere: Set<Int> = []
            let addresses = allocator.assign(wanting, kept: state.assigned, remembered: remembered) { address in
                // Read once, and only when a forward needs a new address.
                if taken == nil {
                    let listeners = ListeningAddresses.listeners(procNet: settings.procNet)
                    everywhere = Set(listeners.filter { $0.address == "0.0.0.0" }.map(\.port))
                    taken = Set(listeners.map(\.address)).union(settings.addressBook?.othersAddresses() ?? [])
                }
                if taken?.contains(address) ?? false { return true }
                // A listener the tables missed (they change while read) still fails a bind: try the next address.
                // A port taken on every address says nothing about this one.
                return ports.subtracting(everywhere).contains { ListeningAddresses.isInUse(address: address, port: $0) }
            }
            state.assigned = addresses
            let updated = remembered.merging(addresses) { _, new in new }
            let changed = updated != state.remembered
            state.remembered = updated
            return (addresses, changed ? updated : nil)
        }
        if let remember, let book = settings.addressBook {
            do {
                try book.write(remember)
            } catch {
                logger.warning("cannot remember the forwards' addresses; they may change at the next start",
                               metadata: ["path": "\(book.path)", "error": "\(error)"])
            }
        }
        var result = manifest
        for index in result.forwards.indices where result.forwards[index].ownAddress && result.forwards[index].enabled {
            if let address = addresses[result.forwards[index].name] {
                result.forwards[index].address = address
            } else {
                logger.error("no free address left in \(manifest.defaults.addressRange); the forward listens on \(result.forwards[index].address)",
                             metadata: ["forward": "\(result.forwards[index].name)"])
            }
        }
        return result
    }

    // MARK: Hosts file

    /// The block `manifest` asks for: one line per enabled forward with names, in manifest order. A forward's
    /// namespace is taken from `status` once the daemon has resolved it (the context's, when the manifest
    /// names none). A name already given to an earlier forward is left out.
    public func block(for manifest: Manifest, status: DaemonStatus) -> HostsBlock {
        HostsBlock(id: settings.blockID, entries: lines(for: manifest, status: status).map(\.entry))
    }

    private func lines(for manifest: Manifest, status: DaemonStatus) -> [(forward: String, entry: HostsBlock.Entry)] {
        let forwards = Dictionary(status.forwards.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        var lines: [(forward: String, entry: HostsBlock.Entry)] = []
        var seen = Set<String>()
        for spec in manifest.forwards where spec.enabled {
            let namespace = forwards[spec.name].flatMap { $0.namespace.isEmpty ? nil : $0.namespace } ?? spec.namespace
            let names = spec.localNames(
                namespace: namespace, clusterDomain: manifest.defaults.clusterDomain, podDomainName: forwards[spec.name]?.podDomainName)
                .filter { seen.insert($0).inserted }
            guard !names.isEmpty else { continue }
            let address = spec.address == "localhost" ? "127.0.0.1" : spec.address
            lines.append((spec.name, HostsBlock.Entry(address: address, names: names)))
        }
        return lines
    }

    /// Brings the hosts file in step with `manifest`; returns every forward's names and whether they are
    /// installed, for the status.
    /// - Parameter recheck: look at the file again even if the block has not changed (it may have been
    ///   installed by hand since).
    @discardableResult
    public func sync(_ manifest: Manifest, status: DaemonStatus, recheck: Bool = false) -> [String: LocalNamesStatus] {
        let lines = lines(for: manifest, status: status)
        let block = HostsBlock(id: settings.blockID, entries: lines.map(\.entry))
        let installed = state.withLock { state -> Bool in
            guard !state.closed else { return false }
            if state.attempted == block, !recheck || state.installed { return state.installed }
            state.attempted = block
            state.installed = install(block, &state)
            return state.installed
        }
        var result: [String: LocalNamesStatus] = [:]
        for line in lines {
            result[line.forward] = LocalNamesStatus(address: line.entry.address, hostnames: line.entry.names, installed: installed)
        }
        return result
    }

    /// Whether the names are installed, as the last sync found.
    public var installed: Bool { state.withLock { $0.installed } }

    /// Removes the block (the daemon stops); later syncs do nothing.
    ///
    /// A block this user may not remove (installed with `sudo berth hosts --install` into a file only root
    /// may write) stays: its names point at addresses nothing listens on any more, and the log says once
    /// how to remove it (docs/local-names.md, "When berth may not write it").
    public func removeBlock() {
        state.withLock { state in
            state.closed = true
            guard let path = settings.hostsFile else { return }
            do {
                let bytes = try HostsFileWriter.read(path)
                let updated = try apply(HostsBlock(id: settings.blockID, entries: []), to: bytes, path: path)
                if updated != bytes { try HostsFileWriter.write(updated, to: path) }
            } catch BerthDaemonError.hostsFileNotWritable(let path, let reason) {
                logger.warning("""
                    the local names stay in \(path): berth may not write it (\(reason)). \
                    Remove them with: \(settings.uninstallCommand)
                    """)
            } catch {
                logger.warning("cannot remove the local names from the hosts file", metadata: ["error": "\(error)"])
            }
        }
    }

    private func install(_ block: HostsBlock, _ state: inout State) -> Bool {
        guard let path = settings.hostsFile else { return false }
        var current: [UInt8] = []
        do {
            current = try HostsFileWriter.read(path)
            let updated = try apply(block, to: current, path: path)
            if updated != current { try HostsFileWriter.write(updated, to: path) }
            state.lastFailure = nil
            return true
        } catch .hostsFileNotWritable(let path, let reason) {
            // Installed by hand (`sudo berth hosts --install`) is installed too.
            if (try? HostsBlock.read(id: block.id, in: current)) == (block.entries.isEmpty ? nil : block) { return true }
            if !state.noticeShown {
                state.noticeShown = true
                logger.warning("""
                    cannot write \(path) (\(reason)): every forward runs, but its local names are not installed. \
                    Add these lines to \(path), or run: \(settings.installCommand)
                    \(block.render())
                    """)
            }
            return false
        } catch {
            if state.lastFailure != error.description {
                state.lastFailure = error.description
                logger.warning("cannot update the hosts file", metadata: ["error": "\(error)"])
            }
            return false
        }
    }

    private func apply(_ block: HostsBlock, to bytes: [UInt8], path: String) throws(BerthDaemonError) -> [UInt8] {
        do {
            return try block.apply(to: bytes)
        } catch {
            throw .hostsFileFailed(path: path, reason: error.message)
        }
    }
}
