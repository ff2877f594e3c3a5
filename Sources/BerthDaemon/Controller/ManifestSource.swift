import BerthManifest
import Foundation
import Logging
import Reconcile
import Synchronization

/// The desired state: the manifest files (and env files) loaded and validated, reloaded when they change.
///
/// An invalid reload keeps the last good manifest running and records the errors, `FILE:LINE:COLUMN`, for
/// status and the log. berth never writes the files.
public final class ManifestSource: Sendable {
    private enum Origin {
        case files(paths: [String], envFiles: [String], environment: [String: String], context: String?)
        case fixed
    }

    private struct State {
        var manifest = Manifest(forwards: [])
        var errors: [String] = []
        /// The last "which context, from where" logged, so it is said once, and again only when it changes.
        var contextSaid: String?
    }

    private let origin: Origin
    private let debounce: Duration
    private let clock: any Clock<Duration>
    private let logger: Logger
    private let prepare: @Sendable (Manifest) -> Manifest
    private let state = Mutex(State())
    /// Signalled whenever a valid manifest replaces the current one (its one waiter: the probe schedule).
    let replaced = AsyncWakeup()

    /// A source over files, watched after `load()`.
    /// - Parameters:
    ///   - context: the context the user typed (`berth up --context`); it wins over the files' `defaults.context`.
    ///   - prepare: applied to every valid manifest before it becomes the desired state (it gives
    ///     forwards with local names their addresses).
    public init(
        paths: [String], envFilePaths: [String], environment: [String: String], context: String? = nil,
        debounce: Duration = .milliseconds(100), clock: any Clock<Duration> = ContinuousClock(), logger: Logger,
        prepare: @escaping @Sendable (Manifest) -> Manifest = { $0 }
    ) {
        origin = .files(paths: paths, envFiles: envFilePaths, environment: environment, context: context)
        self.prepare = prepare
        self.debounce = debounce
        self.clock = clock
        self.logger = logger
    }

    /// A fixed manifest built in memory (`berth forward`); nothing is watched.
    public init(manifest: Manifest, logger: Logger) {
        origin = .fixed
        prepare = { $0 }
        debounce = .zero
        clock = ContinuousClock()
        self.logger = logger
        state.withLock { $0.manifest = manifest }
    }

    /// The files this source reads, manifests then env files.
    public var paths: [String] {
        switch origin {
        case .files(let paths, let envFiles, _, _): paths + envFiles
        case .fixed: []
        }
    }

    /// The last good manifest.
    public var current: Manifest { state.withLock { $0.manifest } }

    /// The errors of the last reload; empty when it was valid.
    public var errors: [String] { state.withLock { $0.errors } }

    /// Loads the files; on success they become the desired state.
    /// - Returns: the errors when the files are invalid (the previous state is kept).
    @discardableResult
    public func load() -> ManifestErrors? {
        guard case .files(let paths, let envFiles, let environment, let context) = origin else { return nil }
        switch ManifestLoader.load(paths: paths, envFilePaths: envFiles, environment: environment, context: context) {
        case .success(let loaded):
            sayContext(typed: context, manifest: loaded.defaults.context)
            let manifest = prepare(loaded)
            state.withLock {
                $0.manifest = manifest
                $0.errors = []
            }
            replaced.signal()
            return nil
        case .failure(let errors):
            state.withLock { $0.errors = errors.errors.map(\.description) }
            return errors
        }
    }

    /// Logs once which context forwards that name none use, and where it came from (docs/cli-daemon.md).
    private func sayContext(typed: String?, manifest: String?) {
        let said: (context: String, from: String)
        switch (typed, manifest) {
        case (let typed?, let manifest?) where typed != manifest:
            said = (typed, "--context, over defaults.context \(manifest)")
        case (let typed?, _):
            said = (typed, "--context")
        case (nil, let manifest?):
            said = (manifest, "defaults.context")
        case (nil, nil):
            said = ("(current-context)", "the kubeconfig")
        }
        let line = "\(said.context) \(said.from)"
        guard state.withLock({ state in
            defer { state.contextSaid = line }
            return state.contextSaid != line
        }) else { return }
        logger.info("kubeconfig context for forwards that name none", metadata: ["context": "\(said.context)", "from": "\(said.from)"])
    }

    /// Watches the files until the task is cancelled; after each debounced burst of changes reloads and
    /// calls `onReload(old, new)` with the manifests before and after (equal when the reload failed).
    public func watch(onReload: @escaping @Sendable (_ old: Manifest, _ new: Manifest, _ errors: [String]) async -> Void) async {
        guard case .files = origin else { return }
        let watcher: FileWatcher
        do {
            watcher = try FileWatcher(paths: paths, debounce: debounce, clock: clock, logger: logger)
        } catch {
            logger.error("cannot watch the manifest files; edits will not be applied", metadata: ["error": "\(error)"])
            return
        }
        // A change between the first load and the watch starting would be missed: look once more.
        await reload(onReload)
        for await _ in watcher {
            await reload(onReload)
        }
    }

    private func reload(_ onReload: @Sendable (_ old: Manifest, _ new: Manifest, _ errors: [String]) async -> Void) async {
        let old = current
        if let errors = load() {
            logger.error("manifest reload failed; keeping the last valid manifest", metadata: ["errors": "\(errors)"])
        } else if old != current {
            logger.info("manifest reloaded", metadata: ["forwards": "\(current.forwards.count)"])
        }
        await onReload(old, current, errors)
    }
}
