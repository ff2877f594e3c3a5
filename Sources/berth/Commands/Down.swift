import ArgumentParser
import BerthDaemon
import Foundation

/// `berth down`: stops the daemon serving the manifest files and waits until its process is gone.
struct DownCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "down",
        abstract: "Stop the daemon serving the manifest files.",
        discussion: """
            Asks the daemon over its control socket to stop (as SIGTERM would: listeners close, connections \
            drain) and waits until its process has exited.

            Exit codes: 0 stopped, 1 still running after --timeout, 2 several daemons serve the files \
            (name one's with -f), 3 no daemon runs for these files.
            """
    )

    @OptionGroup var manifest: ManifestOptions

    @Option(help: ArgumentHelp("Seconds to wait for the daemon to exit.", valueName: "seconds"))
    var timeout: Int = 30

    func run() async throws {
        let finding = DaemonLocator(manifestSet: ManifestSet(paths: manifest.paths())).locate()
        guard case .running(let state, let client) = finding else {
            throw try DaemonCLI.reportNotRunning(finding, files: manifest.paths(), output: .text)
        }
        do {
            try await client.down()
        } catch let error as BerthDaemonError where DaemonCLI.meansGone(error) {
            // It stopped on its own in the meantime; still wait for the process below.
        }
        // Another process's exit has no event to await here: poll its identity, bounded by the timeout.
        let deadline = ContinuousClock.now + .seconds(timeout)
        while state.owner.isAlive {
            guard ContinuousClock.now < deadline else {
                Console.error("berth daemon PID \(state.owner.pid) is still running after \(timeout)s")
                throw ExitCode(1)
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        print("stopped berth daemon PID \(state.owner.pid)")
    }
}
