import ArgumentParser
import BerthDaemon
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// `berth hosts`: the hosts-file block of the daemon serving the manifest files, printed or installed.
struct HostsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hosts",
        abstract: "Print (or install) the hosts-file lines of the forwards' local names.",
        discussion: """
            berth writes the local names of its forwards (names: true, hostnames: [...]) into its own block of
            the hosts file. When it may not (berth up runs as your user, /etc/hosts belongs to root), the
            forwards still run and this command prints the block; --install writes it, so run it with sudo.
            --uninstall removes the block, with or without a daemon. Lines outside berth's block are never
            touched. Under sudo the daemon is found in the invoking user's runtime directory.

            Exit codes: 0 done, 3 no daemon runs for these files, 4 the hosts file could not be written.

            Examples:
              berth hosts
              sudo berth hosts --install
              sudo berth hosts --uninstall -f forwards.yaml
            """
    )

    @OptionGroup var manifest: ManifestOptions

    @Option(help: ArgumentHelp("The hosts file.", valueName: "path"))
    var hostsFile = Up.defaultHostsFile

    @Flag(help: "Write the block into the hosts file (needs root for /etc/hosts).")
    var install = false

    @Flag(help: "Remove the block from the hosts file.")
    var uninstall = false

    func validate() throws {
        if install && uninstall { throw ValidationError("--install and --uninstall exclude each other") }
    }

    func run() async throws {
        let set = ManifestSet(paths: manifest.paths())
        var block = HostsBlock(id: set.id, entries: [])
        if !uninstall {
            let finding = DaemonLocator(manifestSet: set, runtimeDirectory: Self.runtimeDirectory()).locate()
            guard case .running(let state, let client) = finding else {
                throw try DaemonCLI.reportNotRunning(finding, files: manifest.paths(), output: .text)
            }
            do {
                // The block is named after the files the daemon serves, which may be more than were named here.
                block = Self.block(id: ManifestSet(paths: state.manifests).id, of: try await client.status().status)
            } catch let error as BerthDaemonError where DaemonCLI.meansGone(error) {
                throw try DaemonCLI.reportNotRunning(.notRunning(cleaned: nil), files: manifest.paths(), output: .text)
            }
            guard install else {
                print(block.render(), terminator: "")
                return
            }
        }
        do {
            let bytes = try HostsFileWriter.read(hostsFile)
            let updated = try block.apply(to: bytes)
            if updated != bytes { try HostsFileWriter.write(updated, to: hostsFile) }
        } catch let problem as HostsBlockProblem {
            FileHandle.standardError.write(Data("berth: \(hostsFile): \(problem.message)\n".utf8))
            throw ExitCode(4)
        } catch {
            FileHandle.standardError.write(Data("berth: \(error)\(geteuid() == 0 ? "" : "; try again with sudo")\n".utf8))
            throw ExitCode(4)
        }
        let names = block.entries.map(\.names.count).reduce(0, +)
        print(uninstall ? "removed berth's block \(set.id) from \(hostsFile)" : "installed \(names) name\(names == 1 ? "" : "s") in \(hostsFile)")
    }

    /// The block of a daemon's status: each forward with names, at its address.
    static func block(id: String, of status: DaemonStatus) -> HostsBlock {
        HostsBlock(id: id, entries: status.forwards.compactMap { forward in
            guard !forward.hostnames.isEmpty, let address = forward.address else { return nil }
            return HostsBlock.Entry(address: address, names: forward.hostnames)
        })
    }

    /// The runtime directory of the user who ran sudo, under sudo (root's own has no daemon); else the usual one.
    static func runtimeDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> RuntimeDirectory {
        guard geteuid() == 0, let uidText = environment["SUDO_UID"], let uid = uid_t(uidText) else { return .standard() }
        let runtime = "/run/user/\(uid)"
        if FileManager.default.fileExists(atPath: runtime + "/berth") { return RuntimeDirectory(path: runtime + "/berth") }
        guard let entry = getpwuid(uid), let home = entry.pointee.pw_dir else { return .standard() }
        return RuntimeDirectory(path: String(cString: home) + "/.local/state/berth")
    }

    /// What to run to install (`--install`) or remove (`--uninstall`) the block by hand, for the daemon's notices.
    static func command(_ flag: String, files: [String], hostsFile: String) -> String {
        var words = ["sudo", "berth", "hosts", flag]
        for file in files { words += ["-f", file] }
        if hostsFile != Up.defaultHostsFile { words += ["--hosts-file", hostsFile] }
        return words.joined(separator: " ")
    }
}
