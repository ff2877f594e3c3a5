import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Commands that must end on their own, and long-running ones read while they run.
extension ProcessWorld {
    /// Runs `berth ARGS` and waits for it to exit within `limit`; a command still running then is killed and
    /// reported, so a command that should end but waits forever fails the test instead of hanging it.
    func berth(_ arguments: [String], within limit: Duration) async throws -> Output {
        let name = "cmd-\(UUID().uuidString.prefix(8))"
        let spawned = try Spawned.start(
            launcher + [Self.products + "/berth"] + arguments, environment: environment,
            log: directory + "/\(name).err", stdoutFile: directory + "/\(name).out")
        let status = await withTaskGroup(of: Int32?.self) { group in
            group.addTask { await spawned.wait() }
            group.addTask {
                try? await Task.sleep(for: limit)
                return nil
            }
            let first = await group.next() ?? nil
            if first == nil { spawned.signal(SIGKILL) }
            group.cancelAll()
            return first
        }
        let stdout = (try? String(contentsOfFile: directory + "/\(name).out", encoding: .utf8)) ?? ""
        let stderr = (try? String(contentsOfFile: directory + "/\(name).err", encoding: .utf8)) ?? ""
        guard let status else {
            _ = await spawned.wait()
            throw Failure(description: "berth \(arguments.joined(separator: " ")) still ran after \(limit); stdout:\n\(stdout)\nstderr:\n\(stderr)")
        }
        return Output(status: status, stdout: stdout, stderr: stderr)
    }

    /// Starts `berth ARGS` in the background with stdout and stderr in files of their own.
    func startBerth(_ arguments: [String], stdout: String, stderr: String) throws -> Spawned {
        try Spawned.start(
            launcher + [Self.products + "/berth"] + arguments, environment: environment,
            log: directory + "/" + stderr, stdoutFile: directory + "/" + stdout)
    }

    /// Polls a file the process writes (there is no event across processes) until it contains `text` (`count` times);
    /// returns the whole file.
    @discardableResult
    func awaitFile(_ name: String, contains text: String, count: Int = 1, within limit: Duration = .seconds(20)) async throws -> String {
        let deadline = ContinuousClock.now + limit
        var content = ""
        while ContinuousClock.now < deadline {
            content = (try? String(contentsOfFile: directory + "/" + name, encoding: .utf8)) ?? ""
            if content.components(separatedBy: text).count > count { return content }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw Failure(description: "timed out waiting for \"\(text)\" in \(name):\n\(content)")
    }

    /// The text of a file the process wrote, "" when there is none.
    func read(_ name: String) -> String {
        (try? String(contentsOfFile: directory + "/" + name, encoding: .utf8)) ?? ""
    }
}
