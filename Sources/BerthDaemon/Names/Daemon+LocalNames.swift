import BerthManifest
import Foundation

extension Daemon {
    /// How often names that could not be installed are looked for again (`sudo berth hosts --install` may
    /// have put them in since).
    static let namesRecheckInterval = Duration.seconds(2)

    /// Without settings: addresses are given for this run only, no hosts file is touched.
    static func addressesOnly(_ configuration: DaemonConfiguration) -> LocalNameKeeper.Settings {
        let paths: [String]
        switch configuration.source {
        case .files(let manifests, _): paths = manifests
        case .inline: paths = []
        }
        return LocalNameKeeper.Settings(hostsFile: nil, blockID: ManifestSet(paths: paths).id, addressBook: nil)
    }

    /// Keeps the hosts file in step with every status change (a forward's namespace becomes known, forwards
    /// come and go) until cancelled.
    func keepLocalNames() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await status in self.statuses.changes() {
                    self.statuses.setLocalNames(self.localNames.sync(self.manifest.current, status: status))
                }
            }
            if configuration.localNames?.hostsFile != nil {
                // On the daemon's clock, like every other timer of the daemon (a test's manual clock moves it).
                let clock = configuration.clock
                group.addTask {
                    while (try? await clock.sleep(for: Self.namesRecheckInterval)) != nil {
                        guard !self.localNames.installed else { continue }
                        self.statuses.setLocalNames(
                            self.localNames.sync(self.manifest.current, status: self.statuses.snapshot(), recheck: true))
                    }
                }
            }
        }
    }

    /// Brings the hosts file in step with the manifest now (after a reload).
    func syncLocalNames() {
        statuses.setLocalNames(localNames.sync(manifest.current, status: statuses.snapshot()))
    }
}
