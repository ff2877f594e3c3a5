import BerthTestSupport
import Foundation

/// FakeKube's accounting and chaos endpoints (`/fake/v1/`), called with `kubectl --raw` as the admin user,
/// so they run wherever the world's processes run (inside its network namespace, if any).
extension ProcessWorld {
    /// The verbs berth sends to the API server; `discovery` and `fake` are the test's own kubectl calls.
    static let berthVerbs = ["list", "get", "watch", "portforward"]

    /// `GET /fake/v1/stats`, decoded.
    func fakeKubeStats() async throws -> [String: Any] {
        let output = try await run([try ReferenceClients.require("kubectl"), "--kubeconfig", kubeconfig, "--request-timeout=10s", "get", "--raw", "/fake/v1/stats"])
        guard output.status == 0, let stats = try? JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any] else {
            throw Failure(description: "cannot read FakeKube's stats: \(output.stdout)\(output.stderr)")
        }
        return stats
    }

    /// `POST /fake/v1/PATH` (a chaos action, or `stats/reset`).
    func fakeKube(post path: String) async throws {
        let output = try await run([try ReferenceClients.require("kubectl"), "--kubeconfig", kubeconfig, "--request-timeout=10s", "create", "--raw", "/fake/v1/" + path, "-f", "/dev/null"])
        guard output.status == 0 else { throw Failure(description: "POST /fake/v1/\(path) failed: \(output.stdout)\(output.stderr)") }
    }

    /// Polls the stats (there is no event across processes) until `condition` holds; stats the server cannot
    /// answer yet (during a partition) count as not holding.
    @discardableResult
    func awaitStats(within limit: Duration = .seconds(30), _ what: String, _ condition: ([String: Any]) -> Bool) async throws -> [String: Any] {
        let deadline = ContinuousClock.now + limit
        var last: [String: Any] = [:]
        while ContinuousClock.now < deadline {
            if let stats = try? await fakeKubeStats() {
                last = stats
                if condition(stats) { return stats }
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw Failure(description: "timed out waiting for \(what); last stats: \(last)")
    }
}

/// Reads a FakeKube stats document.
extension Dictionary where Key == String, Value == Any {
    /// Requests per `verb resource` key (`watch pods`), berth's verbs only.
    var berthRequests: [String: Int] {
        let requests = self["requests"] as? [String: Any] ?? [:]
        var result: [String: Int] = [:]
        for (key, value) in requests where ProcessWorld.berthVerbs.contains(String(key.split(separator: " ").first ?? "")) {
            result[key] = jsonInt(value) ?? 0
        }
        return result
    }

    var openWatches: Int { jsonInt(self["openWatches"]) ?? 0 }

    var openPortForwardStreams: Int { jsonInt((self["portForward"] as? [String: Any])?["openStreams"]) ?? 0 }

    /// The daemon's count of network-settle resyncs (`berth status -o json`).
    var resyncs: Int? { jsonInt(self["resyncs"]) }
}
