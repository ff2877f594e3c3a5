import BerthManifest
import Foundation
import Reconcile

extension DaemonHost {
    /// The longest a `--watch` long poll waits before answering with an unchanged status.
    static let longPollLimit = Duration.seconds(30)

    /// Answers one control request.
    func answer(_ request: HostRequest) async -> HostResponse {
        switch request.command {
        case .status:
            if let after = request.after { await waitForChange(past: after) }
            return await statusResponse()
        case .diff:
            return diffResponse()
        case .down:
            logger.info("stop requested on the control socket")
            daemon.stop()
            return HostResponse(stopping: true)
        case .probe:
            await probeReadyForwards()
            return await statusResponse()
        }
    }

    /// The forwards it runs, and what it loads the files with besides them, so `berth diff` can load them alike.
    private func diffResponse() -> HostResponse {
        var response = HostResponse(running: daemon.manifest.current.forwards.map(ForwardDefinition.init), context: daemon.configuration.context)
        guard case .files(let manifests, let envFiles) = daemon.configuration.source else { return response }
        // Absolute: diff may run in another directory than this daemon. In order: a later overlay wins.
        response.manifests = manifests.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
        response.envFiles = envFiles.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
        // Only the variables the files use (as they read now: what a reload would use), never the whole environment.
        let used = manifests.reduce(into: Set<String>()) { names, path in
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return }
            names.formUnion(ManifestLoader.variableNames(in: text))
        }
        response.variables = daemon.configuration.environment.filter { used.contains($0.key) }
        return response
    }

    private func statusResponse() async -> HostResponse {
        let generation = board.generation
        return HostResponse(status: await currentStatus(), generation: generation)
    }

    private func waitForChange(past generation: UInt64) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await board.wait(past: generation) }
            group.addTask { [clock] in try? await clock.sleep(for: Self.longPollLimit) }
            _ = await group.next()
            group.cancelAll()
        }
    }

    /// Probes every Ready forward (of `names`, when given) at once; a failed probe rebinds its forward.
    /// Returns the names it probed.
    @discardableResult
    func probeReadyForwards(among names: Set<String>? = nil) async -> [String] {
        let readyForwards = await daemon.status().forwards.filter { $0.phase == .ready && names?.contains($0.name) ?? true }
        let ready = readyForwards.map(\.name)
        guard !ready.isEmpty || names == nil else { return [] }
        var targets: [String: [Forward]] = [:]
        for name in ready {
            targets[name] = await daemon.reconciler.runningForwards(of: name)
        }
        var results = await ForwardProber(clock: ElapsedClock(clock), logger: logger).probe(targets)
        for forward in readyForwards { results[forward.name]?.pod = forward.pod }
        for (name, result) in results where !result.ok {
            logger.warning("probe failed; rebinding", metadata: ["forward": "\(name)", "error": "\(result.error ?? "")"])
            for forward in targets[name] ?? [] {
                await forward.clearEndpoint(reason: "probe failed: \(result.error ?? "unknown")")
            }
            daemon.queue.add(name)
        }
        board.record(probes: results)
        do {
            try writeState(await currentStatus())
        } catch {
            logger.warning("cannot refresh the state file", metadata: ["error": "\(error)"])
        }
        return ready
    }
}
